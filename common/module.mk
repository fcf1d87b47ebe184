# common/ — logging and small shared helpers.
COMMON_OBJS := $(call objs,common/log.c common/num.c common/outbuf.c)
SSIVM_OBJS += $(COMMON_OBJS)

$(eval $(call unit_test,test_num,tests/unit/test_num.c,$(COMMON_OBJS)))
TEST_LIST += unit:tool-args:tests/unit/tool-args.sh
