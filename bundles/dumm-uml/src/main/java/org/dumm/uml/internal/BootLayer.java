package org.dumm.uml.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/**
 * The read-only layer Dumm puts on top of every UML guest's root:
 * <pre>
 * /.dumm/init                                    init wrapper + exec agent (static binary)
 * /etc/systemd/system/getty@tty7.service  -> /dev/null   keep getty off the agent's terminal
 * /etc/systemd/system/autovt@tty7.service -> /dev/null
 * </pre>
 * Each build of the agent gets its own directory {@code <workDir>/uml/layer-<sha256 prefix>}, made
 * in a temporary directory and renamed into place, so a layer is never changed under a running
 * guest and concurrent callers agree on one result.
 */
final class BootLayer {

    /** Where the wrapper sits inside the guest; the kernel's init= argument. */
    static final String INIT = "/.dumm/init";
    private static final String AGENT_RESOURCE = "dumm-agent";

    private BootLayer() {
    }

    /** The agent and its hash, read once: the bundle's resource cannot change while it is loaded. */
    private static volatile byte[] cachedAgent;
    private static volatile String cachedVersion;

    static Path prepare(Path workDir) {
        byte[] agent = cachedAgent;
        String version = cachedVersion;
        if (agent == null || version == null) {
            agent = agentBinary();
            version = sha256(agent).substring(0, 16);
            cachedAgent = agent;
            cachedVersion = version;
        }
        Path base = workDir.resolve("uml");
        Path layer = base.resolve("layer-" + version);
        if (Files.isRegularFile(layer.resolve(INIT.substring(1)))) {
            return layer;
        }
        Path tmp = base.resolve(".layer-" + version + "-" + UUID.randomUUID());
        try {
            Files.createDirectories(base);
            Path dumm = Files.createDirectories(tmp.resolve(".dumm"));
            Path init = dumm.resolve("init");
            Files.write(init, agent);
            Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("r-xr-xr-x"));
            Path units = Files.createDirectories(tmp.resolve("etc/systemd/system"));
            for (String unit : new String[] {"getty@tty" + UmlBackend.AGENT_CONSOLE + ".service",
                    "autovt@tty" + UmlBackend.AGENT_CONSOLE + ".service"}) {
                Files.createSymbolicLink(units.resolve(unit), Path.of("/dev/null"));
            }
            try {
                Files.move(tmp, layer, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new DummException(Reason.HOST_ERROR, "cannot rename " + tmp + " into place: " + e.getMessage());
            } catch (FileSystemException e) {
                // rename(2) onto a non-empty directory fails with ENOTEMPTY, which the JDK reports
                // as a plain FileSystemException: another caller made the layer first, and theirs
                // is identical. Anything else is a real failure.
                if (!Files.isRegularFile(layer.resolve(INIT.substring(1)))) {
                    throw e;
                }
                deleteTree(tmp);
            }
            return layer;
        } catch (IOException e) {
            deleteTree(tmp);
            throw new DummException(Reason.HOST_ERROR, "preparing the UML boot layer under " + base + ": " + e, e);
        }
    }

    static byte[] agentBinary() {
        try (InputStream in = BootLayer.class.getResourceAsStream(AGENT_RESOURCE)) {
            if (in == null) {
                throw new DummException(Reason.HOST_ERROR, "the UML agent binary is missing from the bundle ("
                        + AGENT_RESOURCE + "); the build compiles it with gcc -static");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left for the next cleanup; the caller's error is the one that matters
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // same
        }
    }
}
