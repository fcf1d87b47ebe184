# vcpu/: the KVM VM, its vCPUs, CPUID policy.
VCPU_OBJS := $(call objs,vcpu/vm.c vcpu/vcpu.c vcpu/vcpu_exits.c vcpu/clock.c vcpu/cpuid.c vcpu/cpuid_policy.c)
SSIVM_OBJS += $(VCPU_OBJS)
$(eval $(call unit_test,test_cpuid,tests/unit/test_cpuid.c,$(call objs,vcpu/cpuid_policy.c)))
