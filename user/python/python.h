/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CPython support: finding the interpreter in a process, telling the BPF
 * side where its frames are, and naming the frames it recorded.
 */
#ifndef LT_PYTHON_H
#define LT_PYTHON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "leaktrace.h"

/* Where a version keeps what we read; offsets in bytes. */
struct py_layout {
	int minor; /* 3.minor */
	uint32_t runtime_tss;
	uint32_t tstate_frame, cframe_frame;
	uint32_t frame_back, frame_code, frame_pos, frame_owner, frame_size;
	bool pos_is_pointer;
	uint32_t code_argcount, code_flags, code_firstlineno;
	uint32_t code_filename, code_name, code_qualname, code_linetable;
	uint32_t code_adaptive;
	uint32_t ascii_header, compact_header;
};

/* The layout of CPython 3.minor, or NULL when not supported. */
const struct py_layout *py_layout_for(int minor);

struct py_interp {
	const struct py_layout *layout;
	int major, minor;
	uint64_t runtime; /* address of _PyRuntime in the process */
	/* Type objects, to check that what we read is what we expect. */
	uint64_t code_type, unicode_type, bytes_type;
	char path[4096]; /* ELF holding it (executable or libpython) */
};

/*
 * Look for a CPython interpreter in the process. Returns 1 when found and
 * supported (interp filled), 0 when the process is not Python or runs a
 * free-threaded build (said once per process as a warning), and -ENOTSUP
 * (with the version in interp) for an unsupported version.
 */
int py_detect(pid_t pid, struct py_interp *interp);

/*
 * Does this build call PyObject_Malloc for its objects (so --pymalloc can
 * probe it), or inline it (LTO builds such as Debian's)? Checked on the
 * binary: does PyUnicode_New call it?
 */
bool py_routes_objects(pid_t pid, const struct py_interp *interp);

/* The BPF side's view of an interpreter. */
void py_fill_config(const struct py_interp *interp, struct lt_py_config *c);

/* Python frames named for reports, per process. */
struct py_sym {
	char name[400]; /* module.qualname */
	char file[512]; /* co_filename */
	int line;	/* -1: unknown */
};

struct py_decoder;

struct py_decoder *py_decoder_new(pid_t pid, const struct py_interp *interp);
void py_decoder_free(struct py_decoder *d);

/*
 * Name a recorded frame. Code objects are read from the process once per
 * address; garbage gives a "[unknown python]" name, never a crash. The
 * result stays valid until the decoder is freed.
 */
const struct py_sym *py_decode(struct py_decoder *d,
			       const struct lt_py_frame *f);

/*
 * A stack was just seen for the first time: check that the code object at
 * code is still the one read before (a freed one's address can be reused),
 * and read it again if not. Later frames at that address get the new names.
 */
void py_decoder_recheck(struct py_decoder *d, uint64_t code);

#endif
