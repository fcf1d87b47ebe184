# tests/harness/ — tests of the test harness itself (issue 10): each rule of
# scripts/run-tests and scripts/kvm-sandbox fed the bad case it exists for.
# harness-cmocka-skip is a fixture (a cmocka binary with a skipped case), not a test.
$(eval $(call program,harness-cmocka-skip,tests/harness/cmocka_skip.c,,$(CMOCKA_LIBS)))
TEST_LIST += unit:harness-runner:tests/harness/runner-rules.sh
TEST_LIST += guest:harness-sandbox:tests/harness/sandbox-status.sh
