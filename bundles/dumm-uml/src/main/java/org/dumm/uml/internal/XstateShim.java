package org.dumm.uml.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/**
 * {@code dumm-xstate.so} (src/main/c/dumm-xstate.c), preloaded into every {@code linux.uml}:
 * without it Debian's UML 6.1 cannot start a single guest process on a host CPU with AMX (the
 * host refuses UML's register restores, see the C file). It changes nothing on other hosts.
 * Public for the benchmark's and other modules' tests, which launch {@code linux.uml} themselves.
 */
public final class XstateShim {

    /** File name of the shim, in the directory it is installed in. */
    public static final String FILE = "dumm-xstate.so";
    private static volatile byte[] cached;

    private XstateShim() {
    }

    /**
     * Writes the shim into {@code dir} unless the same bytes are there, by renaming a temporary
     * file into place (a running guest may have the old file mapped), and returns its path.
     */
    public static Path installIn(Path dir) {
        byte[] shim = bytes();
        Path file = dir.resolve(FILE);
        try {
            if (Files.isRegularFile(file) && Files.size(file) == shim.length && Arrays.equals(Files.readAllBytes(file), shim)) {
                return file;
            }
            Path tmp = Files.createTempFile(dir, ".dumm-xstate", ".tmp");
            try {
                Files.write(tmp, shim);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return file;
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot install " + FILE + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The environment entry that preloads the shim installed at {@code file}. */
    public static String preload(Path file) {
        return "LD_PRELOAD=" + file.toAbsolutePath();
    }

    private static byte[] bytes() {
        byte[] b = cached;
        if (b == null) {
            try (InputStream in = XstateShim.class.getResourceAsStream(FILE)) {
                if (in == null) {
                    throw new DummException(Reason.HOST_ERROR, FILE + " is missing from the bundle; the build compiles it with gcc");
                }
                b = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            cached = b;
        }
        return b;
    }
}
