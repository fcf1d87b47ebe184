/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * guest/testguest/head.S — entry of the test guest: the multiboot v1 header,
 * the 32-bit entry that switches to long mode (identity map of the first
 * 16 GiB with 2 MiB pages), the interrupt stubs and the AP trampoline.
 *
 * Built twice: as an ELF (loaded from its program headers) and, with
 * -DAOUT_KLUDGE, as a flat image whose header carries the load addresses
 * (multiboot flag bit 16).
 */
#define MB_MAGIC 0x1BADB002
#ifdef AOUT_KLUDGE
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif
#define NR_PD 16 /* 16 page directories x 1 GiB */
#define TRAMP_BASE 0x8000

	.section .mbheader, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
	.long mb_header  /* header_addr */
	.long __image_start /* load_addr */
	.long __data_end /* load_end_addr */
	.long __bss_end  /* bss_end_addr */
	.long entry32    /* entry_addr */
#endif

	.section .text.boot, "ax"
	.code32
	.globl entry32
entry32:
	cli
	cld
	movl %eax, mb_magic
	movl %ebx, mb_info_addr
	movl $boot_stack_top, %esp

	/* long mode available? else report on COM1 and exit (v = 1) */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_lm
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_lm

	/* pml4[0] -> pdpt; pdpt[i] -> pd + i * 4096; pd: 2 MiB pages */
	movl $pdpt, %eax
	orl $3, %eax
	movl %eax, pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $pd, %eax
	orl $3, %eax
	movl %eax, pdpt(, %ecx, 8)
	incl %ecx
	cmpl $NR_PD, %ecx
	jb 1b
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax /* present, writable, 2 MiB */
	/* the last 64 MiB below 4 GiB (IOAPIC, LAPIC): uncached */
	cmpl $0x7e0, %ecx
	jb 3f
	cmpl $0x800, %ecx
	jae 3f
	orl $0x18, %eax
3:	movl %eax, pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $(NR_PD * 512), %ecx
	jb 2b

	movl $pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax /* PAE */
	movl %eax, %cr4
	movl $0xC0000080, %ecx /* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax /* PG | PE */
	movl %eax, %cr0
	lgdt gdt_desc
	ljmp $0x08, $entry64

no_lm:
	movl $no_lm_msg, %esi
	movw $0x3f8, %dx
4:	lodsb
	testb %al, %al
	jz 5f
	outb %al, %dx
	jmp 4b
5:	movw $0xf4, %dx
	movl $1, %eax
	outl %eax, %dx
6:	hlt
	jmp 6b

	.code64
entry64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	movl mb_magic(%rip), %edi
	movl mb_info_addr(%rip), %esi
	call tg_main
7:	cli
	hlt
	jmp 7b

/* One 16-byte stub per vector: push a 0 error code where the CPU pushes
 * none, push the vector, go to the common path. */
	.text
	.align 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movq %rsp, %rdi
	cld
	call tg_isr
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

/*
 * AP trampoline: copied to TRAMP_BASE (SIPI vector 0x08) by the BSP, which
 * fills tramp_cr3 and tramp_stack. Real mode -> 32-bit -> long mode -> ap_main.
 */
	.section .rodata
	.code16
	.globl tramp_start, tramp_end, tramp_cr3, tramp_stack
tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl (tramp_gdtr - tramp_start)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x18, $(TRAMP_BASE + tramp_pm - tramp_start)
	.code32
tramp_pm:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl (TRAMP_BASE + tramp_cr3 - tramp_start), %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $0xC0000080, %ecx
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax
	movl %eax, %cr0
	ljmp $0x08, $(TRAMP_BASE + tramp_lm - tramp_start)
	.code64
tramp_lm:
	movq (TRAMP_BASE + tramp_stack - tramp_start), %rsp
	movabsq $ap_main, %rax
	call *%rax
8:	cli
	hlt
	jmp 8b
	.align 8
tramp_gdtr:
	.word gdt_end - gdt - 1
	.long gdt
	.align 8
tramp_cr3:
	.long 0
	.align 8
tramp_stack:
	.quad 0
tramp_end:

	.section .rodata
no_lm_msg:
	.asciz "not ok boot: this CPU has no long mode\n"
	.align 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF /* 0x08: 64-bit code */
	.quad 0x00CF92000000FFFF /* 0x10: data */
	.quad 0x00CF9A000000FFFF /* 0x18: 32-bit code */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.data
	.globl mb_magic, mb_info_addr
	.align 4
mb_magic:
	.long 0
mb_info_addr:
	.long 0

	.bss
	.align 4096
pml4:
	.skip 4096
pdpt:
	.skip 4096
pd:
	.skip 4096 * NR_PD
	.align 16
	.skip 16384
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
