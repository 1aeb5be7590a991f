//! Last-resort guards for a render: a template that exhausts the stack or
//! memory in a way minijinja cannot stop (a value nested millions deep, a
//! string doubled in a loop) ends ketch with an error naming the template and
//! exit code 1, never a crash.
//!
//! Rendering marks its thread with the template's name ([`rendering`]); the
//! binary installs [`install_stack_guard`] and [`GuardedAlloc`], which act only
//! on a marked thread. The filters bound what they build themselves and fail
//! with a template error first: these guards are for what minijinja builds.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    /// The template this thread renders: a pointer and length, readable
    /// without allocating, from a signal handler or the allocator.
    static TEMPLATE: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
}

/// Marks the current thread as rendering `name` until dropped.
pub struct Rendering<'a> {
    previous: (*const u8, usize),
    name: PhantomData<&'a str>,
}

/// Marks the current thread as rendering `name` (nested marks restore the outer one).
pub fn rendering(name: &str) -> Rendering<'_> {
    let previous = TEMPLATE.with(|t| t.replace((name.as_ptr(), name.len())));
    Rendering {
        previous,
        name: PhantomData,
    }
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        TEMPLATE.with(|t| t.set(self.previous));
    }
}

/// Whether this thread renders a template now.
pub fn is_rendering() -> bool {
    TEMPLATE.try_with(|t| !t.get().0.is_null()).unwrap_or(false)
}

/// Writes `Error: <template>: <message>` to stderr and ends the process with
/// exit code 1; only async-signal-safe calls, no allocation.
fn fail_render(message: &str) -> ! {
    let (ptr, len) = TEMPLATE
        .try_with(Cell::get)
        .unwrap_or((std::ptr::null(), 0));
    let write = |bytes: &[u8]| {
        // SAFETY: writes initialised bytes to stderr; a failed write cannot be reported.
        unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
    };
    write(b"Error: ");
    if !ptr.is_null() {
        // SAFETY: `rendering` keeps the name alive while the mark is set.
        write(unsafe { std::slice::from_raw_parts(ptr, len) });
        write(b": ");
    }
    write(message.as_bytes());
    write(b"\n");
    // SAFETY: ends the process at once; nothing else runs.
    unsafe { libc::_exit(1) }
}

/// What a stack overflow during a render tells the user.
const STACK_MESSAGE: &str = "the template nests too deeply (a value, an expression, macros or tpl calls within each other) \
     and exhausted the stack; ketch stopped it. Flatten the template or the values it builds";

/// Replaces Rust's stack overflow report (a crash, SIGABRT) with an error
/// naming the template while a template renders. Threads started by std keep
/// their alternate signal stack, on which the handler runs.
pub fn install_stack_guard() {
    extern "C" fn on_fault(signal: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
        if is_rendering() {
            fail_render(STACK_MESSAGE);
        }
        // Not a render: the default action (a core dump) when the fault repeats.
        // SAFETY: resets a signal's disposition; async-signal-safe.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
    for signal in [libc::SIGSEGV, libc::SIGBUS] {
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Allocations this large or larger are counted; smaller ones cost nothing extra.
const LARGE: usize = 1 << 20;
/// No single value a render builds is this large: the output cap is 256 MiB.
pub const MAX_ALLOCATION: usize = 512 << 20;
/// Large allocations of the whole process that a render may not push past.
pub const MAX_LIVE: usize = 1536 << 20;

/// Bytes held in large allocations, the whole process.
static LARGE_LIVE: AtomicUsize = AtomicUsize::new(0);

/// What running out of the memory budget during a render tells the user.
const MEMORY_MESSAGE: &str = "the render needed more memory than ketch allows a template \
     (512 MiB for one value, 1.5 GiB in all); a template loops or builds a huge string or list";

/// A global allocator that stops a render that builds a value over
/// [`MAX_ALLOCATION`] or holds more than [`MAX_LIVE`] in large allocations,
/// with an error instead of an allocation failure (an abort).
pub struct GuardedAlloc<A>(pub A);

impl<A> GuardedAlloc<A> {
    fn grow(&self, size: usize) {
        if size < LARGE {
            return;
        }
        let live = LARGE_LIVE.fetch_add(size, Ordering::Relaxed) + size;
        if (size > MAX_ALLOCATION || live > MAX_LIVE) && is_rendering() {
            fail_render(MEMORY_MESSAGE);
        }
    }

    fn shrink(&self, size: usize) {
        if size >= LARGE {
            LARGE_LIVE.fetch_sub(size, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call goes to the wrapped allocator with the same arguments.
unsafe impl<A: GlobalAlloc> GlobalAlloc for GuardedAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.grow(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.grow(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.shrink(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.grow(new_size);
        self.shrink(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

/// Keeps the default panic report off stderr for a panic inside a render,
/// which [`crate::engine`] turns into a template error.
pub fn quiet_panics() {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_rendering() {
                report(info);
            }
        }));
    });
}

/// The error a panic inside minijinja becomes.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("an unknown failure");
    let hint = if what.contains("remainder with a divisor of zero") {
        " (loop.cycle() needs at least one argument)"
    } else {
        ""
    };
    format!(
        "the template engine (minijinja) failed on this template: {what}{hint}; \
         change the construct, and report it to ketch"
    )
}
