package org.dumm.nativ;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Entry point to libc for all Dumm bundles: one loaded {@link LibC}, errno kept after every call,
 * and helpers that turn a failed call into a {@link NativeException}.
 */
public final class Native {

    private static final LibC LIBC = LibraryLoader.create(LibC.class)
            .option(LibraryOption.SaveError, true)
            .load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Native() {
    }

    /** The loaded libc. */
    public static LibC libc() {
        return LIBC;
    }

    /** The jnr runtime of {@link #libc()}, for allocating memory and structs. */
    public static Runtime runtime() {
        return RUNTIME;
    }

    /** errno saved by the last libc call on this thread. */
    public static int errno() {
        return RUNTIME.getLastError();
    }

    /** Direct (off-heap) memory of {@code size} bytes, zeroed. */
    public static Pointer allocate(int size) {
        return Memory.allocateDirect(RUNTIME, size, true);
    }

    /** Builds the exception for the errno of the last failed call. */
    public static NativeException error(String operation) {
        int e = errno();
        return new NativeException(operation, e, LIBC.strerror(e));
    }

    /** Builds the exception for an errno value returned rather than set (posix_spawn). */
    public static NativeException error(String operation, int errno) {
        return new NativeException(operation, errno, LIBC.strerror(errno));
    }

    /** Returns {@code result}, or throws with errno when it is negative. */
    public static int check(int result, String operation) {
        if (result < 0) {
            throw error(operation);
        }
        return result;
    }

    /** Returns {@code result}, or throws with errno when it is negative. */
    public static long check(long result, String operation) {
        if (result < 0) {
            throw error(operation);
        }
        return result;
    }
}
