# Benchmarks (make bench runs bench/run.sh): the uprobe floor benchmark and
# its count-only BPF program. The malloc loop is built by run.sh itself.

# Debian packages bench/compare.sh needs on top of DEPS: the other tracers,
# the kernel headers bcc compiles against, the HTTP load generator.
BENCH_DEPS := wrk bpfcc-tools bpftrace linux-headers-amd64

bench-deps:
	$(call apt_missing,$(BENCH_DEPS))

$(OUT)/floor.bpf.o: bench/floor.bpf.c $(VMLINUX) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/floor.skel.h: $(OUT)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@

# Linked dynamically even with STATIC=1: it only runs here.
$(OUT)/bench/uprobe_floor: bench/uprobe_floor.c $(OUT)/floor.skel.h \
			   $(OUT)/user/kernel/placement.o $(OUT)/user/sym/elfsym.o \
			   $(OUT)/user/sym/elffile.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(OUT)/user/kernel/placement.o $(OUT)/user/sym/elfsym.o \
		$(OUT)/user/sym/elffile.o \
		-lbpf -lelf -ldw -lcapstone

# Memory and report time with 1 M live blocks over 100 k stacks (root).
.PHONY: bench-footprint
bench-footprint: leaktrace
	./bench/footprint.sh

# The native walk: cost per unwound frame, dwarf against fp (root).
.PHONY: bench-unwind
bench-unwind: leaktrace
	./bench/unwind.sh

# --objects on 1 M live Python objects: census time, CPU, memory (root).
.PHONY: bench-census
bench-census: leaktrace $(OUT)/bench/census_cpu
	./bench/census.sh

$(OUT)/bench/census_cpu: bench/census_cpu.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)
