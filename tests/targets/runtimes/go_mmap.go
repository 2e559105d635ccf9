// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// A Go program with no cgo and no malloc (the protocol of target.h):
//
//	go_mmap [--now] [--exit] [--linger] COUNT SIZE
//
// After the go signal mapRegions maps COUNT anonymous regions of SIZE
// bytes with syscall.Mmap, touches them, and unmaps every third one;
// growHeap grows the Go heap by 64 MiB that the runtime maps itself. The
// expect line gives the mapped bytes and regions mapRegions still holds,
// and the file and line of its call (this file's "// @mmap" line).
package main

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

var (
	regions [][]byte
	heap    [][]byte
)

//go:noinline
func mapRegions(count, size int) (int64, int64) {
	var held, n int64
	for i := 0; i < count; i++ {
		prot := syscall.PROT_READ | syscall.PROT_WRITE
		flags := syscall.MAP_PRIVATE | syscall.MAP_ANON
		b, err := syscall.Mmap(-1, 0, size, prot, flags) // @mmap
		if err != nil {
			fmt.Fprintln(os.Stderr, "mmap:", err)
			os.Exit(1)
		}
		for j := 0; j < size; j += 4096 {
			b[j] = 1
		}
		regions[i] = b
	}
	for i := 0; i < count; i++ {
		if i%3 == 2 {
			if err := syscall.Munmap(regions[i]); err != nil {
				fmt.Fprintln(os.Stderr, "munmap:", err)
				os.Exit(1)
			}
			regions[i] = nil
			continue
		}
		held += int64(size)
		n++
	}
	return held, n
}

//go:noinline
func growHeap() {
	for i := range heap {
		heap[i] = make([]byte, 1<<20)
		heap[i][0] = 1
	}
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
		fmt.Fprintln(os.Stderr, "usage: go_mmap [--now] [--exit] [--linger] COUNT SIZE")
		os.Exit(2)
	}
	count, err1 := strconv.Atoi(pos[0])
	size, err2 := strconv.Atoi(pos[1])
	if err1 != nil || err2 != nil || count < 1 || size < 1 {
		fmt.Fprintln(os.Stderr, "go_mmap: COUNT and SIZE are positive integers")
		os.Exit(2)
	}
	regions = make([][]byte, count)
	heap = make([][]byte, 64)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM)
	if !now {
		fmt.Printf("ready %d\n", os.Getpid())
		<-sigs
	}
	file, mmapLine := markerLine("mmap")
	held, n := mapRegions(count, size)
	growHeap()
	line, _ := json.Marshal(map[string]interface{}{
		"target": "go_mmap",
		"expect": []expectEntry{{"main.mapRegions", "mapped", held, n,
			file, mmapLine}},
	})
	fmt.Println(string(line))
	if linger {
		time.Sleep(300 * time.Millisecond)
	}
	if !exit {
		<-sigs
	}
}
