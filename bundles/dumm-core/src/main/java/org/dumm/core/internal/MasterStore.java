package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.api.Names;
import org.dumm.api.Progress;

/**
 * Master root filesystems under {@code masters/<name>/}; how each was built is kept beside it in
 * {@code masters/<name>.kind} so nothing of Dumm's shows inside the guests' roots. A directory
 * put there by hand is a master too (kind "unknown"). Builders: {@link BusyboxMasterBuilder},
 * {@link DebianMasterBuilder}, {@link MasterImporter}.
 */
final class MasterStore {

    private static final Path ETC_APT = Path.of("/etc/apt");

    private final Path mastersDir;

    MasterStore(Path workDir) {
        this.mastersDir = workDir.resolve("masters");
    }

    Path dir(String name) {
        return mastersDir.resolve(name);
    }

    boolean exists(String name) {
        return !name.startsWith(".") && Files.isDirectory(dir(name), LinkOption.NOFOLLOW_LINKS);
    }

    List<Master> list() {
        List<Master> masters = new ArrayList<>();
        if (!Files.isDirectory(mastersDir)) {
            return masters;
        }
        try (Stream<Path> s = Files.list(mastersDir)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p) && exists(name)) {
                    masters.add(new Master(name, p.toString(), sizeOf(p), kindOf(name)));
                }
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot list masters in " + mastersDir + ": " + e.getMessage(), e);
        }
        return masters;
    }

    /** How it was made; a root put into the masters directory by hand has no kind file: "unknown". */
    private String kindOf(String name) throws IOException {
        Path f = kindFile(name);
        return Files.isRegularFile(f) ? Files.readString(f).trim() : "unknown";
    }

    Optional<Master> get(String name) {
        return list().stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** Builds a master into a hidden directory renamed into place when done; a failure leaves nothing. */
    synchronized Master create(MasterRequest request, Progress progress) {
        String name = checkNew(request.name());
        if (request.kind() == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "master kind missing: --busybox or --debootstrap SUITE");
        }
        Optional<String> mirror = request.kind() == MasterRequest.Kind.DEBOOTSTRAP
                ? DebianMasterBuilder.validate(request, ETC_APT) : Optional.empty();
        String kind = request.kind() == MasterRequest.Kind.BUSYBOX ? "busybox" : "debootstrap:" + request.suite();
        return place(name, kind, progress, root -> {
            if (request.kind() == MasterRequest.Kind.BUSYBOX) {
                BusyboxMasterBuilder.build(root, progress);
            } else {
                DebianMasterBuilder.build(root, request, mirror, progress);
            }
        });
    }

    /** Registers a copy of an existing root (a directory or a tarball) as a master. */
    synchronized Master importRoot(String name, Path source, Progress progress) {
        checkNew(name);
        MasterImporter.checkSource(source);
        return place(name, "imported", progress, root -> MasterImporter.fill(root, source, progress));
    }

    /** Runs a command chrooted into a master (the caller made sure no guest uses it). */
    synchronized int exec(String name, String commandLine, Progress output) {
        if (!exists(name)) {
            throw new DummException(Reason.NOT_FOUND, "master '" + name + "' does not exist");
        }
        Path root = dir(name);
        // own mount and pid namespaces: the /proc mounted for the command goes away with it
        List<String> argv = List.of("/usr/bin/unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                "--mount-proc=" + root.resolve("proc"), "/usr/sbin/chroot", root.toString(), "/bin/sh", "-c", commandLine);
        return HostCommand.run(argv, null, output::report, new ArrayDeque<>());
    }

    synchronized void delete(String name) {
        if (!exists(name)) {
            throw new DummException(Reason.NOT_FOUND, "master '" + name + "' does not exist");
        }
        deleteTree(dir(name));
        try {
            Files.deleteIfExists(kindFile(name));
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot delete master '" + name + "': " + e.getMessage(), e);
        }
    }

    private String checkNew(String name) {
        Names.check("master", name);
        if (Files.exists(dir(name), LinkOption.NOFOLLOW_LINKS)) {
            throw new DummException(Reason.ALREADY_EXISTS, "master '" + name + "' already exists");
        }
        return name;
    }

    /** What fills a new master's root. */
    @FunctionalInterface
    interface Filler {
        void fill(Path root) throws IOException;
    }

    /**
     * Fills {@code .building-NAME} and renames it to {@code NAME} when complete, so no listing
     * ever shows half a master; on any failure (an interrupt too) the building directory goes.
     */
    private Master place(String name, String kind, Progress progress, Filler filler) {
        Path building = mastersDir.resolve(".building-" + name);
        Path target = dir(name);
        try {
            deleteTree(building);           // a build cut short by a Karaf kill
            Files.createDirectories(building);
            filler.fill(building);
            Files.writeString(kindFile(name), kind + "\n");
            Files.move(building, target);
            progress.report("master '" + name + "' ready (" + (sizeOf(target) >> 20) + " MB)");
            return get(name).orElseThrow();
        } catch (IOException | RuntimeException e) {
            deleteTree(building);
            try {
                Files.deleteIfExists(kindFile(name));
            } catch (IOException ignored) {
                // best effort: the directory is what matters
            }
            if (e instanceof DummException de) {
                throw de;
            }
            throw new DummException(Reason.HOST_ERROR, "building master '" + name + "' failed: " + e.getMessage(), e);
        }
    }

    private Path kindFile(String name) {
        return mastersDir.resolve(name + ".kind");
    }

    static long sizeOf(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
