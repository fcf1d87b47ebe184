# platform/acpi/ — the ACPI tables built from the configuration.
ACPI_OBJS := $(call objs,platform/acpi/acpi.c platform/acpi/madt.c platform/acpi/numa.c \
	platform/acpi/dsdt.c)
SSIVM_OBJS += $(ACPI_OBJS)
