# vcpu/: the KVM VM, its vCPUs, CPUID policy.
VCPU_OBJS := $(call objs,vcpu/vm.c vcpu/vcpu.c vcpu/cpuid.c vcpu/cpuid_policy.c)
SSIVM_OBJS += $(VCPU_OBJS)
SSIVM_OBJS += $(call objs,control/cmd_run.c)
BENCH_LIST += bench/boot_time.sh
$(eval $(call unit_test,test_cpuid,tests/unit/test_cpuid.c,$(call objs,vcpu/cpuid_policy.c)))
