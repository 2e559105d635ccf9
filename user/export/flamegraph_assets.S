/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flame graph's style and script, kept in their own files
 * (flamegraph.css, flamegraph.js) and embedded here as NUL-terminated
 * strings: fg_style and fg_script (see flamegraph.c).
 */
	.section .rodata
	.global fg_style
	.type fg_style, @object
fg_style:
	.incbin "user/export/flamegraph.css"
	.byte 0
	.size fg_style, . - fg_style

	.global fg_script
	.type fg_script, @object
fg_script:
	.incbin "user/export/flamegraph.js"
	.byte 0
	.size fg_script, . - fg_script

	.section .note.GNU-stack, "", @progbits
