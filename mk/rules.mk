# Helpers for module.mk fragments.
#
#   FOO_OBJS := $(call objs,foo/a.c foo/b.c)
#   SSIVM_OBJS += $(FOO_OBJS)                      # linked into the ssivm binary
#   $(eval $(call unit_test,test_foo,tests/unit/test_foo.c,$(FOO_OBJS) $(COMMON_OBJS),EXTRA_LIBS))
#       builds $(BUILD)/tests/test_foo with cmocka and registers it as layer "unit"
#   $(eval $(call program,NAME,SRCS,OBJS,LIBS))    # $(BUILD)/bin/NAME, not a test
#   TEST_LIST += layer:name:command                # any other test (script, guest, ...)
#
# Layers: unit, multiproc, guest, linux (all in `make check`), e2e (make check-e2e).
# A test exits 0 = pass, 77 = skipped (it must print why), anything else = fail.
# Every test is also named in tests/expected/LAYER.list ("name", or "name
# needs=root,kvm,..." when it may skip where those are missing): scripts/run-tests
# fails when the two differ, or a test skips without such a reason
# (docs/DEVELOPING.md, "The expected set").

CHECK_LAYERS := unit multiproc guest linux

objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(filter %.c,$(1))) $(patsubst %.S,$(BUILD)/obj/%.o,$(filter %.S,$(1)))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(UCX_CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

define unit_test
ALL_TESTS_BIN += $(BUILD)/tests/$(1)
TEST_LIST += unit:$(1):$(BUILD)/tests/$(1)
$(BUILD)/tests/$(1): $(call objs,$(2)) $(3)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $(4) $$(CMOCKA_LIBS) $$(LDLIBS)
endef

define program
ALL_EXTRA += $(BUILD)/bin/$(1)
$(BUILD)/bin/$(1): $(call objs,$(2)) $(3)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $(4) $$(LDLIBS)
endef
