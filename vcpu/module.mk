# vcpu/: the KVM VM, its vCPUs, CPUID policy.
VCPU_OBJS := $(call objs,vcpu/vm.c vcpu/vcpu.c vcpu/cpuid.c)
SSIVM_OBJS += $(VCPU_OBJS)
SSIVM_OBJS += $(call objs,control/cmd_run.c)
BENCH_LIST += bench/boot_time.sh
