// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// A Go program that allocates through cgo with C's malloc (target.h's
// protocol):
//
//	go_cgo [--now] [--exit] [--linger] COUNT SIZE
//
// After the go signal, go_cgo_leak mallocs COUNT blocks of SIZE bytes and
// keeps them; go_cgo_balanced mallocs and frees as many. The expect line
// gives what go_cgo_leak still holds, and the file and line of its call
// to malloc (this file's "// @malloc" line).
package main

/*
#cgo CFLAGS: -O1 -g -fno-omit-frame-pointer
#include <stdlib.h>

// Kept where the compiler cannot prove nobody reads them: the calls stay.
void *go_cgo_kept[4096];

__attribute__((noinline)) int go_cgo_leak(int count, size_t size)
{
	int i;

	for (i = 0; i < count && i < 4096; i++)
		go_cgo_kept[i] = malloc(size); // @malloc
	return i;
}

__attribute__((noinline)) void go_cgo_balanced(int count, size_t size)
{
	int i;

	for (i = 0; i < count; i++) {
		void *volatile p = malloc(size);

		free(p);
	}
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type expectEntry struct {
	Func  string `json:"func"`
	Kind  string `json:"kind"`
	Bytes int64  `json:"bytes"`
	Count int64  `json:"count"`
	File  string `json:"file"`
	Line  int    `json:"line"`
}

// markerLine is the number of this source file's line ending in "// @tag".
func markerLine(tag string) (string, int) {
	_, file, _, _ := runtime.Caller(0)
	text, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading my source:", err)
		os.Exit(1)
	}
	for i, l := range strings.Split(string(text), "\n") {
		if strings.HasSuffix(l, "// @"+tag) {
			return filepath.Base(file), i + 1
		}
	}
	fmt.Fprintln(os.Stderr, "no marker", tag)
	os.Exit(1)
	return "", 0
}

func main() {
	now, exit, linger := false, false, false
	var pos []string
	for _, a := range os.Args[1:] {
		switch a {
		case "--now":
			now = true
		case "--exit":
			exit = true
		case "--linger":
			exit, linger = true, true
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go_cgo [--now] [--exit] [--linger] COUNT SIZE")
		os.Exit(2)
	}
	count, err1 := strconv.Atoi(pos[0])
	size, err2 := strconv.Atoi(pos[1])
	if err1 != nil || err2 != nil || count < 1 || count > 4096 || size < 1 {
		fmt.Fprintln(os.Stderr, "go_cgo: COUNT (1 to 4096) and SIZE are positive integers")
		os.Exit(2)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM)
	if !now {
		fmt.Printf("ready %d\n", os.Getpid())
		<-sigs
	}
	file, mallocLine := markerLine("malloc")
	n := int64(C.go_cgo_leak(C.int(count), C.size_t(size)))
	C.go_cgo_balanced(C.int(count), C.size_t(size))
	line, _ := json.Marshal(map[string]interface{}{
		"target": "go_cgo",
		"expect": []expectEntry{{"go_cgo_leak", "heap", n * int64(size), n,
			file, mallocLine}},
	})
	fmt.Println(string(line))
	if linger {
		time.Sleep(300 * time.Millisecond)
	}
	if !exit {
		<-sigs
	}
}
