# control/ — the `ssivm` command line: main.c dispatches to one cmd_*.c per
# subcommand (each registers itself with SSIVM_COMMAND).
SSIVM_OBJS += $(call objs,control/main.c control/cmd_run.c control/cmd_acpi_dump.c control/cmd_stats.c control/cmd_top.c control/top_scrape.c)
