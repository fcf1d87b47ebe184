# guest/testguest/module.mk — the freestanding test guest (not linked into ssivm).
#   $(BUILD)/guest/testguest.elf       multiboot v1, ELF32 program headers
#   $(BUILD)/guest/testguest-aout.bin  multiboot v1, flat image, a.out kludge (flag bit 16)
# Both also boot under `qemu-system-x86_64 -kernel`.
TG_DIR := $(BUILD)/guest/testguest
TG_SRCS := guest/testguest/main.c guest/testguest/lib.c guest/testguest/irq.c \
	guest/testguest/mb.c guest/testguest/mem.c guest/testguest/timer.c guest/testguest/smp.c \
	guest/testguest/fault.c guest/testguest/span.c
TG_CFLAGS := -std=gnu17 -m64 -O2 -g -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
	-mno-sse -mno-mmx -mno-80387 -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -mcmodel=small --param=min-pagesize=0 \
	-Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP
TG_OBJS := $(patsubst guest/testguest/%.c,$(TG_DIR)/%.o,$(TG_SRCS))
TESTGUEST := $(BUILD)/guest/testguest.elf
TESTGUEST_AOUT := $(BUILD)/guest/testguest-aout.bin
ALL_EXTRA += $(TESTGUEST) $(TESTGUEST_AOUT)

$(TG_DIR)/%.o: guest/testguest/%.c guest/testguest/tg.h
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c -o $@ $<
$(TG_DIR)/head.o: guest/testguest/head.S
	@mkdir -p $(dir $@)
	$(CC) -m64 -c -o $@ $<
$(TG_DIR)/head-aout.o: guest/testguest/head.S
	@mkdir -p $(dir $@)
	$(CC) -m64 -DAOUT_KLUDGE -c -o $@ $<
$(TG_DIR)/testguest.elf64: $(TG_DIR)/head.o $(TG_OBJS) guest/testguest/testguest.ld
	$(LD) -m elf_x86_64 -nostdlib -z max-page-size=0x1000 --no-warn-rwx-segments -T guest/testguest/testguest.ld \
		-o $@ $(TG_DIR)/head.o $(TG_OBJS)
$(TG_DIR)/testguest-aout.elf64: $(TG_DIR)/head-aout.o $(TG_OBJS) guest/testguest/testguest.ld
	$(LD) -m elf_x86_64 -nostdlib -z max-page-size=0x1000 --no-warn-rwx-segments -T guest/testguest/testguest.ld \
		-o $@ $(TG_DIR)/head-aout.o $(TG_OBJS)
# QEMU refuses 64-bit ELF multiboot kernels: the image is re-labelled ELF32
# (the entry is 32-bit code; the 64-bit code only runs after the switch).
$(TESTGUEST): $(TG_DIR)/testguest.elf64
	objcopy -O elf32-i386 $< $@
$(TESTGUEST_AOUT): $(TG_DIR)/testguest-aout.elf64
	objcopy -O binary $< $@
