# ssivm — plain make. Each part adds itself through a module.mk fragment
# (see mk/rules.mk for the helpers): no part edits another part's fragment.
#
#   make            build ssivm and every test program
#   make check      the README's test command (unit, multi-process, guest, linux)
#   make check-asan unit and multi-process tests under ASan + UBSan
#   make check-e2e  the slow end-to-end checks
#   make check-span the guest across ssivm nodes (not in CI: tests/guest/module.mk)
#   make bench      the benchmarks (figures printed beside their floors)

BUILD   ?= build

# Root in a checkout that belongs to someone else (`sudo make check` after the
# user's `make`): run the real make below, then give what it created in the
# build directories back to the checkout's owner, whatever the outcome, so
# that the owner's next `make` can still write there (scripts/build-owner).
SSIVM_WRAP := $(if $(SSIVM_MAKE_INNER),,$(shell [ "$$(id -u)" = 0 ] && [ "$$(stat -c %u .)" != 0 ] && echo 1))
ifeq ($(SSIVM_WRAP),1)
SSIVM_GOALS := $(or $(MAKECMDGOALS),all)
.PHONY: $(SSIVM_GOALS)
$(firstword $(SSIVM_GOALS)):
	@$(MAKE) --no-print-directory SSIVM_MAKE_INNER=1 $(SSIVM_GOALS); rc=$$?; \
	scripts/build-owner $(BUILD) build-asan; exit $$rc
ifneq ($(words $(SSIVM_GOALS)),1)
$(wordlist 2,$(words $(SSIVM_GOALS)),$(SSIVM_GOALS)):
	@:
endif
else # the real make

# Not root: files of root's in the build directories (a root run that was
# interrupted before it gave them back) would make this make fail halfway.
ifneq ($(shell id -u),0)
SSIVM_ROOT_OWNED := $(shell find $(BUILD) build-asan -xdev -uid 0 -print -quit 2>/dev/null)
ifneq ($(SSIVM_ROOT_OWNED),)
$(error $(SSIVM_ROOT_OWNED) belongs to root (a run as root that did not finish?); `sudo scripts/build-owner $(BUILD) build-asan` gives the build directories back)
endif
endif
CC      ?= cc
PKGS    := ucx libconfig cmocka
CSTD    := -std=gnu17
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wvla -Wformat=2
CFLAGS  ?= -O2 -g
CFLAGS  += $(CSTD) $(WARN) -fno-strict-aliasing -D_GNU_SOURCE -I. -MMD -MP
CFLAGS  += $(SAN_CFLAGS)
LDFLAGS += $(SAN_CFLAGS)
LDLIBS  += -lpthread -lm

UCX_CFLAGS   := $(shell pkg-config --cflags ucx 2>/dev/null)
UCX_LIBS     := $(shell pkg-config --libs ucx 2>/dev/null || echo -lucp -luct -lucs)
CONFIG_LIBS  := $(shell pkg-config --libs libconfig 2>/dev/null || echo -lconfig)
CMOCKA_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

.PHONY: all clean check check-unit check-asan check-e2e check-span bench format format-check
all:

include mk/rules.mk
# bench/ links the other parts' objects: its fragment is read last
include $(sort $(filter-out bench/module.mk,$(wildcard */module.mk */*/module.mk)))
include bench/module.mk

all: $(BUILD)/ssivm $(ALL_TESTS_BIN) $(ALL_EXTRA)

$(BUILD)/ssivm: $(SSIVM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(UCX_LIBS) $(CONFIG_LIBS) $(LDLIBS)

# One list of tests: every module.mk appends "layer:name:command" to TEST_LIST.
$(BUILD)/tests.list: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' $(TEST_LIST) > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null || mv $@.tmp $@; rm -f $@.tmp

check: all $(BUILD)/tests.list
	scripts/run-tests $(BUILD)/tests.list $(CHECK_LAYERS)

check-unit: all $(BUILD)/tests.list
	scripts/run-tests $(BUILD)/tests.list unit

check-asan:
	CFLAGS="-O1 -g" $(MAKE) BUILD=build-asan \
		SAN_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		all build-asan/tests.list
	SSIVM_BUILD=build-asan scripts/run-tests build-asan/tests.list unit multiproc

check-e2e: all $(BUILD)/tests.list
	scripts/run-tests $(BUILD)/tests.list e2e

# the guest across ssivm nodes (tests/guest/module.mk says why it is apart)
check-span: all $(BUILD)/tests.list
	scripts/run-tests $(BUILD)/tests.list span

bench: all
	@for b in $(BENCH_LIST); do echo "== $$b"; $$b || exit 1; done

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build build-asan

FORCE:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
endif # the real make
