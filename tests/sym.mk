# Symbolization targets: one leak built the ways production binaries ship
# (debug info in the binary, stripped with a .build-id debug file, with a
# .gnu_debuglink only, for debuginfod), a shared library, inlined calls and
# JIT code. Each variant gets its own build-id (SYM_VARIANT).

SYM_SRC := tests/targets/sym
SYM_BIN := tests/targets/bin/sym
SYM_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-inline \
	      -fno-optimize-sibling-calls -fno-builtin -Wall
SYM_DEPS := $(SYM_SRC)/sym_leak.c tests/targets/target.h | $(SYM_BIN)

SYM_TARGETS := $(addprefix $(SYM_BIN)/,sym_g sym_buildid sym_debuglink \
	sym_dbgd sym_dynsym sym_chroot sym_inline sym_libuser libsymlib.so sym_jit)

$(SYM_BIN):
	@mkdir -p $@

# Debug info in the binary itself.
$(SYM_BIN)/sym_g: $(SYM_DEPS)
	$(CC) $(SYM_CFLAGS) -DSYM_VARIANT='"sym_g"' -Wl,--build-id -o $@ $<

# Stripped of everything (.symtab too); the debug file, sym_NAME.debug, is
# installed under a .build-id directory by the tests.
$(SYM_BIN)/sym_buildid $(SYM_BIN)/sym_chroot: $(SYM_DEPS)
	$(CC) $(SYM_CFLAGS) -DSYM_VARIANT='"$(@F)"' -Wl,--build-id -o $@.full $<
	objcopy --only-keep-debug $@.full $@.debug
	objcopy --strip-all $@.full $@
	rm -f $@.full

# No build-id: only .gnu_debuglink names the debug file, kept next to it.
$(SYM_BIN)/sym_debuglink: $(SYM_DEPS)
	$(CC) $(SYM_CFLAGS) -DSYM_VARIANT='"sym_debuglink"' -Wl,--build-id=none -o $@.full $<
	objcopy --only-keep-debug $@.full $@.debug
	objcopy --strip-all --add-gnu-debuglink=$@.debug $@.full $@
	rm -f $@.full

# Debug info stripped, .symtab kept: names without a server, lines with.
$(SYM_BIN)/sym_dbgd: $(SYM_DEPS)
	$(CC) $(SYM_CFLAGS) -DSYM_VARIANT='"sym_dbgd"' -Wl,--build-id -o $@.full $<
	objcopy --only-keep-debug $@.full $@.debug
	objcopy --strip-debug $@.full $@
	rm -f $@.full

# Stripped of everything but exported: .dynsym names, nothing else.
$(SYM_BIN)/sym_dynsym: $(SYM_DEPS)
	$(CC) $(SYM_CFLAGS) -DSYM_VARIANT='"sym_dynsym"' -DSYM_STATIC= -rdynamic -o $@.full $<
	objcopy --strip-all $@.full $@
	rm -f $@.full

$(SYM_BIN)/sym_inline: $(SYM_SRC)/sym_inline.c tests/targets/target.h | $(SYM_BIN)
	$(CC) -O2 -g -fno-omit-frame-pointer -fno-builtin -Wall -o $@ $<

$(SYM_BIN)/libsymlib.so: $(SYM_SRC)/sym_lib.c | $(SYM_BIN)
	$(CC) $(SYM_CFLAGS) -shared -fPIC -o $@ $<

$(SYM_BIN)/sym_libuser: $(SYM_SRC)/sym_libuser.c tests/targets/target.h $(SYM_BIN)/libsymlib.so
	$(CC) $(SYM_CFLAGS) -o $@ $< -L$(SYM_BIN) -lsymlib -Wl,-rpath,'$$ORIGIN'

$(SYM_BIN)/sym_jit: $(SYM_SRC)/sym_jit.c tests/targets/target.h | $(SYM_BIN)
	$(CC) $(SYM_CFLAGS) -o $@ $<
