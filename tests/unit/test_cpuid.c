// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_cpuid.c — the CPUID policy (vcpu/cpuid.h, docs/cpuid.md)
 * without /dev/kvm: tables shaped like KVM_GET_SUPPORTED_CPUID's on an Intel
 * and on an AMD host (leaves the policy touches, others it must pass
 * through, the unrelated bits random), filtered for every interrupt
 * controller mode, with and without the TSC-deadline capability, for APIC IDs
 * 0, 1, 5, 254, 255 and 300; then every rule of docs/cpuid.md is checked, one
 * checker per rule.
 */
#include <asm/kvm_para.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vcpu/cpuid.h"

#define MAX_ENT 64

struct table {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[MAX_ENT];
};

static uint32_t seed;

static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) | (seed << 16);
}

static void add(struct table *t, uint32_t fn, uint32_t idx, bool indexed, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	assert_true(t->hdr.nent < MAX_ENT);
	t->e[t->hdr.nent++] = (struct kvm_cpuid_entry2){
	    .function = fn,
	    .index = idx,
	    .flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
	    .eax = eax,
	    .ebx = ebx,
	    .ecx = ecx,
	    .edx = edx,
	};
}

/* Leaf @fn with random registers (subleaf 0, not indexed). */
static void add_rnd(struct table *t, uint32_t fn)
{
	add(t, fn, 0, false, rnd(), rnd(), rnd(), rnd());
}

/*
 * A supported table as KVM gives it: the leaves of docs/cpuid.md with the
 * bits the policy changes set (x2APIC, HTT, TOPOEXT, CmpLegacy, cache
 * sharing, PMU, host topology, every KVM PV feature) and random bits
 * elsewhere; and leaves the policy never touches.
 */
static void host_table(struct table *t, bool amd)
{
	memset(t, 0, sizeof(*t));
	/* vendor: "AuthenticAMD" / "GenuineIntel" */
	add(t, 0, 0, false, 0x1f, amd ? 0x68747541 : 0x756e6547, amd ? 0x444d4163 : 0x6c65746e,
	    amd ? 0x69746e65 : 0x49656e69);
	add(t, CPUID_LEAF_FEATURES, 0, false, rnd(),
	    (rnd() & 0xffff) | (0x07u << 24) | (0x10u << 16), rnd() | CPUID_1_ECX_X2APIC,
	    rnd() | CPUID_1_EDX_HTT);
	for (uint32_t i = 0; i < 4; i++)
		add(t, CPUID_LEAF_CACHE, i, true, rnd() | 0xffffc000u, rnd(), rnd(), rnd());
	add(t, 0x7, 0, true, rnd(), rnd(), rnd(), rnd());
	add(t, 0x7, 1, true, rnd(), rnd(), rnd(), rnd());
	add(t, CPUID_LEAF_PMU, 0, false, 0x07300805, 0, 0, 0x603);
	for (uint32_t i = 0; i < 3; i++) {
		add(t, CPUID_LEAF_TOPOLOGY, i, true, i < 2 ? i + 1 : 0, i < 2 ? 2u << i : 0,
		    i < 2 ? ((i + 1) << 8) | i : i, 0x33);
		add(t, CPUID_LEAF_TOPOLOGY_V2, i, true, i < 2 ? i + 1 : 0, i < 2 ? 2u << i : 0,
		    i < 2 ? ((i + 1) << 8) | i : i, 0x33);
	}
	add(t, 0xd, 0, true, rnd(), rnd(), rnd(), rnd());
	add(t, 0xd, 1, true, rnd(), rnd(), rnd(), rnd());
	add(t, 0x40000000, 0, false, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(t, CPUID_LEAF_KVM_FEATURES, 0, false,
	    0x3fffb | (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT), rnd(), rnd(), rnd());
	add(t, 0x80000000, 0, false, amd ? 0x8000001f : 0x80000008, rnd(), rnd(), rnd());
	add(t, CPUID_LEAF_EXT_FEATURES, 0, false, rnd(), rnd(),
	    rnd() | CPUID_80000001_ECX_TOPOEXT | CPUID_80000001_ECX_CMP_LEGACY, rnd());
	add_rnd(t, 0x80000002);
	add(t, CPUID_LEAF_EXT_SIZES, 0, false, 0x3030, rnd(), rnd() | 0x3f00fu | (3u << 16), rnd());
	if (amd) {
		add(t, CPUID_LEAF_AMD_TOPOLOGY, 0, false, rnd(), 0x100, 0x300, 0);
		add_rnd(t, 0x8000001f);
	}
}

struct run {
	const struct table *in;
	const struct kvm_cpuid2 *out;
	struct cpuid_policy p;
	bool amd;
	char ctx[96]; /* for messages: vendor, mode, capability, APIC ID */
};

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

#define RULE_ASSERT(r, cond, ...)                                                                  \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error("%s: ", (r)->ctx);                                             \
			fail_msg(__VA_ARGS__);                                                     \
		}                                                                                  \
	} while (0)

/* The leaves a rule below changes; every other one must come out as it went in. */
static bool touched(const struct run *r, uint32_t fn)
{
	switch (fn) {
	case CPUID_LEAF_FEATURES:
	case CPUID_LEAF_CACHE:
	case CPUID_LEAF_PMU:
	case CPUID_LEAF_TOPOLOGY:
	case CPUID_LEAF_TOPOLOGY_V2:
	case CPUID_LEAF_AMD_TOPOLOGY:
		return true;
	case CPUID_LEAF_KVM_FEATURES:
		return r->p.irq_mode == IRQ_USER || r->p.spanning;
	case CPUID_LEAF_EXT_FEATURES:
	case CPUID_LEAF_EXT_SIZES:
		return r->amd;
	}
	return false;
}

/* Entries keep their order, leaf, subleaf and flags; only 0x8000001E is dropped. */
static void rule_entries(const struct run *r)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < r->in->hdr.nent; i++) {
		const struct kvm_cpuid_entry2 *a = &r->in->e[i];

		if (a->function == CPUID_LEAF_AMD_TOPOLOGY)
			continue;
		RULE_ASSERT(r, j < r->out->nent, "leaf 0x%x.%u is missing", a->function, a->index);
		const struct kvm_cpuid_entry2 *b = &r->out->entries[j++];

		RULE_ASSERT(
		    r, a->function == b->function && a->index == b->index && a->flags == b->flags,
		    "entry %u: 0x%x.%u flags %u became 0x%x.%u flags %u", i, a->function, a->index,
		    a->flags, b->function, b->index, b->flags);
	}
	RULE_ASSERT(r, j == r->out->nent, "%u entries out, %u expected", r->out->nent, j);
}

/* Everything else as KVM_GET_SUPPORTED_CPUID: vendor, max leaves, 0x7, 0xD, 0x40000000, ... */
static void rule_pass_through(const struct run *r)
{
	for (uint32_t i = 0; i < r->in->hdr.nent; i++) {
		const struct kvm_cpuid_entry2 *a = &r->in->e[i], *b;

		if (touched(r, a->function))
			continue;
		b = find(r->out, a->function, a->index);
		RULE_ASSERT(r, b && !memcmp(a, b, sizeof(*a)), "leaf 0x%x.%u changed", a->function,
			    a->index);
	}
}

/* 0x1 EBX: initial APIC ID = vCPU index (low 8 bits), 1 logical CPU; EDX.HTT off. */
static void rule_leaf1_apic_id(const struct run *r)
{
	const struct kvm_cpuid_entry2 *a = find(&r->in->hdr, 1, 0), *b = find(r->out, 1, 0);

	RULE_ASSERT(r, b, "leaf 1 missing");
	RULE_ASSERT(r, b->ebx >> 24 == (r->p.apic_id & 0xff), "EBX[31:24] = %u", b->ebx >> 24);
	RULE_ASSERT(r, ((b->ebx >> 16) & 0xff) == 1, "EBX[23:16] = %u logical CPUs",
		    (b->ebx >> 16) & 0xff);
	RULE_ASSERT(r, (b->ebx & 0xffff) == (a->ebx & 0xffff), "EBX[15:0] changed");
	RULE_ASSERT(r, b->edx == (a->edx & ~CPUID_1_EDX_HTT),
		    "EDX 0x%x, HTT must be the only "
		    "bit cleared (in 0x%x)",
		    b->edx, a->edx);
	RULE_ASSERT(r, b->eax == a->eax, "EAX changed");
}

/* 0x1 ECX: hypervisor set; TSC-deadline iff the capability and an in-kernel
 * LAPIC; x2APIC kept with an in-kernel LAPIC, hidden with the userspace one;
 * the other bits as given. */
static void rule_leaf1_ecx(const struct run *r)
{
	const struct kvm_cpuid_entry2 *a = find(&r->in->hdr, 1, 0), *b = find(r->out, 1, 0);
	bool kernel_lapic = r->p.irq_mode != IRQ_USER;
	uint32_t mine = CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_TSC_DEADLINE | CPUID_1_ECX_X2APIC;

	RULE_ASSERT(r, b->ecx & CPUID_1_ECX_HYPERVISOR, "hypervisor bit clear");
	RULE_ASSERT(
	    r, !!(b->ecx & CPUID_1_ECX_TSC_DEADLINE) == (r->p.tsc_deadline_cap && kernel_lapic),
	    "TSC-deadline bit %u", !!(b->ecx & CPUID_1_ECX_TSC_DEADLINE));
	RULE_ASSERT(r, !!(b->ecx & CPUID_1_ECX_X2APIC) == kernel_lapic, "x2APIC bit %u",
		    !!(b->ecx & CPUID_1_ECX_X2APIC));
	RULE_ASSERT(r, (b->ecx & ~mine) == (a->ecx & ~mine), "other ECX bits changed");
}

/* 0x4: no cache shared between vCPUs, one core per package; the rest as given. */
static void rule_cache(const struct run *r)
{
	for (uint32_t i = 0; i < 4; i++) {
		const struct kvm_cpuid_entry2 *a = find(&r->in->hdr, 4, i), *b = find(r->out, 4, i);

		RULE_ASSERT(r, b && (b->eax & CPUID_4_EAX_SHARING) == 0, "0x4.%u EAX 0x%x shares",
			    i, b ? b->eax : 0);
		RULE_ASSERT(r,
			    (b->eax & 0x3fff) == (a->eax & 0x3fff) && b->ebx == a->ebx &&
				b->ecx == a->ecx && b->edx == a->edx,
			    "0x4.%u: other bits changed", i);
	}
}

/* 0xA all zero: no architectural PMU. */
static void rule_pmu(const struct run *r)
{
	const struct kvm_cpuid_entry2 *b = find(r->out, CPUID_LEAF_PMU, 0);

	RULE_ASSERT(r, b && !b->eax && !b->ebx && !b->ecx && !b->edx, "leaf 0xA not zero");
}

/* 0xB and 0x1F: SMT level 1 thread, core level 1 core, then the end; x2APIC ID = vCPU index. */
static void rule_topology(const struct run *r)
{
	static const uint32_t leaves[2] = {CPUID_LEAF_TOPOLOGY, CPUID_LEAF_TOPOLOGY_V2};

	for (int l = 0; l < 2; l++)
		for (uint32_t i = 0; i < 3; i++) {
			const struct kvm_cpuid_entry2 *b = find(r->out, leaves[l], i);
			uint32_t type = i == 0 ? 1 : i == 1 ? 2 : 0;

			RULE_ASSERT(r, b, "leaf 0x%x.%u missing", leaves[l], i);
			RULE_ASSERT(r, b->edx == r->p.apic_id, "0x%x.%u x2APIC ID %u", leaves[l], i,
				    b->edx);
			RULE_ASSERT(r, ((b->ecx >> 8) & 0xff) == type && (b->ecx & 0xff) == i,
				    "0x%x.%u ECX 0x%x: level type %u expected", leaves[l], i,
				    b->ecx, type);
			RULE_ASSERT(r, (b->eax & 0x1f) == 0, "0x%x.%u: shift %u", leaves[l], i,
				    b->eax & 0x1f);
			RULE_ASSERT(r, (b->ebx & 0xffff) == (i < 2 ? 1u : 0u),
				    "0x%x.%u: %u logical CPUs at this level", leaves[l], i,
				    b->ebx & 0xffff);
		}
}

/* 0x40000001: KVM's PV features as given; with the userspace LAPIC without
 * those that need KVM's in-kernel LAPIC. */
static void rule_kvm_features(const struct run *r)
{
	const struct kvm_cpuid_entry2 *a = find(&r->in->hdr, CPUID_LEAF_KVM_FEATURES, 0),
				      *b = find(r->out, CPUID_LEAF_KVM_FEATURES, 0);
	uint32_t want = a->eax;

	if (r->p.irq_mode == IRQ_USER)
		want &= ~((1u << KVM_FEATURE_ASYNC_PF) | (1u << KVM_FEATURE_PV_EOI) |
			  (1u << KVM_FEATURE_PV_UNHALT) | (1u << KVM_FEATURE_ASYNC_PF_VMEXIT) |
			  (1u << KVM_FEATURE_PV_SEND_IPI) | (1u << KVM_FEATURE_PV_SCHED_YIELD) |
			  (1u << KVM_FEATURE_ASYNC_PF_INT));
	if (r->p.spanning) /* docs/cpuid.md: what does not work across hosts */
		want &= ~((1u << KVM_FEATURE_ASYNC_PF) | (1u << KVM_FEATURE_STEAL_TIME) |
			  (1u << KVM_FEATURE_PV_UNHALT) | (1u << KVM_FEATURE_PV_TLB_FLUSH) |
			  (1u << KVM_FEATURE_ASYNC_PF_VMEXIT) | (1u << KVM_FEATURE_PV_SCHED_YIELD) |
			  (1u << KVM_FEATURE_ASYNC_PF_INT));
	RULE_ASSERT(r, b && b->eax == want, "PV features 0x%x, expected 0x%x", b ? b->eax : 0,
		    want);
	RULE_ASSERT(r, want & (1u << KVM_FEATURE_CLOCKSOURCE2), "kvm-clock hidden");
	RULE_ASSERT(r, b->ebx == a->ebx && b->ecx == a->ecx && b->edx == a->edx,
		    "other registers changed");
}

/* AMD: TOPOEXT and CmpLegacy cleared, 0x8000001E dropped, 0x80000008 ECX NC =
 * ApicIdCoreIdSize = 0. Intel: both leaves as given. */
static void rule_amd_topology(const struct run *r)
{
	const struct kvm_cpuid_entry2 *a1 = find(&r->in->hdr, CPUID_LEAF_EXT_FEATURES, 0),
				      *b1 = find(r->out, CPUID_LEAF_EXT_FEATURES, 0),
				      *a8 = find(&r->in->hdr, CPUID_LEAF_EXT_SIZES, 0),
				      *b8 = find(r->out, CPUID_LEAF_EXT_SIZES, 0);
	uint32_t clr1 = r->amd ? CPUID_80000001_ECX_TOPOEXT | CPUID_80000001_ECX_CMP_LEGACY : 0;
	uint32_t clr8 = r->amd ? 0xf0ffu : 0;

	RULE_ASSERT(r, !find(r->out, CPUID_LEAF_AMD_TOPOLOGY, 0), "leaf 0x8000001E given");
	RULE_ASSERT(r, b1->ecx == (a1->ecx & ~clr1), "0x80000001 ECX 0x%x from 0x%x", b1->ecx,
		    a1->ecx);
	RULE_ASSERT(r, b1->eax == a1->eax && b1->ebx == a1->ebx && b1->edx == a1->edx,
		    "0x80000001: other registers changed");
	RULE_ASSERT(r, b8->ecx == (a8->ecx & ~clr8), "0x80000008 ECX 0x%x from 0x%x", b8->ecx,
		    a8->ecx);
	RULE_ASSERT(r, b8->eax == a8->eax && b8->ebx == a8->ebx && b8->edx == a8->edx,
		    "0x80000008: other registers changed");
}

static const struct {
	const char *name;
	void (*check)(const struct run *r);
} rules[] = {
    {"entries kept in order, only 0x8000001E dropped", rule_entries},
    {"every other leaf as KVM_GET_SUPPORTED_CPUID", rule_pass_through},
    {"0x1 EBX: APIC ID = vCPU index, 1 logical CPU; EDX.HTT off", rule_leaf1_apic_id},
    {"0x1 ECX: hypervisor, TSC-deadline, x2APIC per irqchip mode", rule_leaf1_ecx},
    {"0x4: no cache shared between vCPUs", rule_cache},
    {"0xA: no PMU", rule_pmu},
    {"0xB/0x1F: 1 thread, 1 core, x2APIC ID = vCPU index", rule_topology},
    {"0x40000001: PV features per irqchip mode and across hosts", rule_kvm_features},
    {"AMD: TOPOEXT, CmpLegacy, 0x8000001E, 0x80000008 NC", rule_amd_topology},
};

static const char *mode_name(enum irq_mode m)
{
	return m == IRQ_KERNEL ? "kernel" : m == IRQ_SPLIT ? "split" : "user";
}

static void test_rules(void **state)
{
	static const uint32_t apic_ids[] = {0, 1, 5, 254, 255, 300};
	static const enum irq_mode modes[] = {IRQ_KERNEL, IRQ_SPLIT, IRQ_USER};
	unsigned runs = 0;

	for (int span = 0; span < 2; span++)
		for (int amd = 0; amd < 2; amd++)
			for (size_t m = 0; m < 3; m++)
				for (int cap = 0; cap < 2; cap++)
					for (size_t a = 0;
					     a < sizeof(apic_ids) / sizeof(apic_ids[0]); a++) {
						static struct table in, out;
						struct run r = {
						    .in = &in,
						    .out = &out.hdr,
						    .p = {apic_ids[a], modes[m], cap, span},
						    .amd = amd,
						};

						seed = 1000u * (unsigned)a + 10u * (unsigned)m +
						       (unsigned)amd;
						host_table(&in, amd);
						memset(&out, 0x5a, sizeof(out));
						cpuid_apply_policy(&in.hdr, &r.p, &out.hdr);
						snprintf(r.ctx, sizeof(r.ctx),
							 "%s host, irqchip %s, TSC-deadline cap "
							 "%d, APIC ID %u%s",
							 amd ? "AMD" : "Intel", mode_name(modes[m]),
							 cap, apic_ids[a],
							 span ? ", across hosts" : "");
						for (size_t k = 0;
						     k < sizeof(rules) / sizeof(rules[0]); k++)
							rules[k].check(&r);
						runs++;
					}
	printf("%u tables x %zu rules checked\n", runs, sizeof(rules) / sizeof(rules[0]));
}

/* The vendor is read from leaf 0 wherever it is in the table, and an empty table stays empty. */
static void test_table_shapes(void **state)
{
	static struct table in, out;
	struct cpuid_policy p = {.apic_id = 3, .irq_mode = IRQ_KERNEL};

	seed = 7;
	host_table(&in, true);
	/* move leaf 0 to the end */
	struct kvm_cpuid_entry2 leaf0 = in.e[0];

	memmove(&in.e[0], &in.e[1], (in.hdr.nent - 1) * sizeof(in.e[0]));
	in.e[in.hdr.nent - 1] = leaf0;
	cpuid_apply_policy(&in.hdr, &p, &out.hdr);
	assert_null(find(&out.hdr, CPUID_LEAF_AMD_TOPOLOGY, 0));
	assert_int_equal(
	    find(&out.hdr, CPUID_LEAF_EXT_FEATURES, 0)->ecx & CPUID_80000001_ECX_TOPOEXT, 0);
	assert_int_equal(out.hdr.nent, in.hdr.nent - 1);
	in.hdr.nent = 0;
	out.hdr.nent = 99;
	cpuid_apply_policy(&in.hdr, &p, &out.hdr);
	assert_int_equal(out.hdr.nent, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_table_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
