TEST_LIST += guest:kvm-sandbox:tests/sandbox/sandbox-selftest.sh
