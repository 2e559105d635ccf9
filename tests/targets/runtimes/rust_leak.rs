// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
//! A Rust program on the system allocator (glibc's malloc, Rust's
//! default), with target.h's protocol:
//!
//!     rust_leak [--now] [--exit] [--linger] COUNT SIZE
//!
//! After the go signal leak_vectors leaks COUNT vectors of SIZE bytes
//! (std::mem::forget) and balanced_vectors drops as many. The expect line
//! gives leak_vectors' full name, the bytes and blocks it holds, and the
//! line of its allocation; only the standard library, no crates.

use std::env;
use std::io::Write;
use std::process;
use std::thread;
use std::time::Duration;

const SIGUSR1: i32 = 10;
const SIGTERM: i32 = 15;
const SIG_BLOCK: i32 = 0;

#[repr(C)]
struct SigSet([u64; 16]);

extern "C" {
    fn sigemptyset(set: *mut SigSet) -> i32;
    fn sigaddset(set: *mut SigSet, sig: i32) -> i32;
    fn pthread_sigmask(how: i32, set: *const SigSet, old: *mut SigSet) -> i32;
    fn sigwait(set: *const SigSet, sig: *mut i32) -> i32;
}

/// SIGUSR1 and SIGTERM, blocked so that sigwait takes them.
fn blocked_signals() -> SigSet {
    let mut set = SigSet([0; 16]);
    unsafe {
        sigemptyset(&mut set);
        sigaddset(&mut set, SIGUSR1);
        sigaddset(&mut set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, std::ptr::null_mut());
    }
    set
}

fn wait_signal(set: &SigSet) {
    let mut sig = 0;
    unsafe {
        sigwait(set, &mut sig);
    }
}

/// Leaks count vectors of size bytes; returns the line that allocates.
#[inline(never)]
fn leak_vectors(count: usize, size: usize) -> u32 {
    let mut line = 0;
    for _ in 0..count {
        let v = vec![1u8; size]; line = line!();
        unsafe { std::ptr::read_volatile(&v[0]) };
        std::mem::forget(v);
    }
    line
}

#[inline(never)]
fn balanced_vectors(count: usize, size: usize) {
    for _ in 0..count {
        let v = vec![2u8; size];
        // Read it: an allocation nobody reads may be optimized away.
        unsafe { std::ptr::read_volatile(&v[0]) };
        drop(v);
    }
}

fn main() {
    let mut now = false;
    let mut exit = false;
    let mut linger = false;
    let mut pos: Vec<usize> = Vec::new();
    for a in env::args().skip(1) {
        match a.as_str() {
            "--now" => now = true,
            "--exit" => exit = true,
            "--linger" => {
                exit = true;
                linger = true
            }
            _ => match a.parse() {
                Ok(n) if n > 0 => pos.push(n),
                _ => {
                    eprintln!("rust_leak: COUNT and SIZE are positive integers");
                    process::exit(2);
                }
            },
        }
    }
    if pos.len() != 2 {
        eprintln!("usage: rust_leak [--now] [--exit] [--linger] COUNT SIZE");
        process::exit(2);
    }
    let (count, size) = (pos[0], pos[1]);
    let sigs = blocked_signals();
    let func = concat!(module_path!(), "::leak_vectors");
    let mut out = std::io::stdout();
    if !now {
        writeln!(out, "ready {}", process::id()).unwrap();
        out.flush().unwrap();
        wait_signal(&sigs);
    }
    let line = leak_vectors(count, size);
    balanced_vectors(count, size);
    writeln!(
        out,
        "{{\"target\":\"rust_leak\",\"expect\":[{{\"func\":\"{}\",\"kind\":\"heap\",\"bytes\":{},\"count\":{},\"file\":\"{}\",\"line\":{}}}]}}",
        func,
        count * size,
        count,
        file!().rsplit('/').next().unwrap(),
        line
    )
    .unwrap();
    out.flush().unwrap();
    if linger {
        thread::sleep(Duration::from_millis(300));
    }
    if !exit {
        wait_signal(&sigs);
    }
}
