// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A C extension whose leak is two C frames below its method: built -O2
 * without frame pointers by test_unwind against the interpreter's headers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static void *volatile kept[64];
static volatile int nkept;

__attribute__((noinline, noclone)) void ltext_inner(size_t n)
{
	kept[nkept++ & 63] = malloc(n);
	__asm__ volatile("" ::: "memory"); /* a real call, not a jump */
}

__attribute__((noinline, noclone)) void ltext_middle(size_t n)
{
	ltext_inner(n);
	__asm__ volatile("" ::: "memory");
}

static PyObject *ltext_leak(PyObject *self, PyObject *arg)
{
	size_t n = PyLong_AsSize_t(arg);

	if (n == (size_t)-1 && PyErr_Occurred())
		return NULL;
	ltext_middle(n);
	Py_RETURN_NONE;
}

static PyMethodDef ltext_methods[] = {
	{ "leak", ltext_leak, METH_O, "leak N bytes two C frames down" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef ltext_module = {
	PyModuleDef_HEAD_INIT, "ltext", NULL, -1, ltext_methods,
};

PyMODINIT_FUNC PyInit_ltext(void)
{
	return PyModule_Create(&ltext_module);
}
