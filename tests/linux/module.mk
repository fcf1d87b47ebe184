# tests/linux/: the real-Linux layer (through scripts/with-kvm), the checks
# of `ssivm run` on bad images and configurations (no KVM needed) and of its
# exit status after the guest's exit-port write (the test guest); e2e: bench/boot_time.sh and
# the README's demo (scripts/demo).
TEST_LIST += linux:run-bad-kernel:tests/linux/run-bad-kernel.sh
TEST_LIST += linux:run-bad-config:tests/linux/run-bad-config.sh
TEST_LIST += linux:testguest-exit-port:tests/linux/testguest-exit-port.sh
TEST_LIST += linux:boot-numa:tests/linux/boot-numa.sh
TEST_LIST += linux:boot-pvh:tests/linux/boot-pvh.sh
TEST_LIST += linux:report-fault:tests/linux/report-fault.sh
TEST_LIST += e2e:boot-time-bench:tests/linux/boot-time-bench.sh
TEST_LIST += e2e:demo:tests/linux/demo.sh
