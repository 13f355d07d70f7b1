package org.dumm.netns.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/**
 * The control groups of netns guests: one cgroup v2 directory per guest (membership, freezing
 * through {@code cgroup.freeze}, and the memory limit when the v2 hierarchy has the memory
 * controller), plus, on hosts whose memory controller is still on a v1 hierarchy, a v1 memory
 * cgroup for the limit. Every directory sits under {@code dumm-netns-TAG}, TAG naming the Dumm
 * instance (its working directory), so that two Dumms or a test never share one.
 */
final class Cgroups {

    private final Path v2;
    private final Path v1Memory;
    private final boolean v2Memory;
    private final String group;

    private Cgroups(Path v2, Path v1Memory, boolean v2Memory, String group) {
        this.v2 = v2;
        this.v1Memory = v1Memory;
        this.v2Memory = v2Memory;
        this.group = group;
    }

    /** The hierarchies of this host, as /proc/self/mounts shows them. */
    static Cgroups find(String tag) {
        Path v2 = null;
        Path v1Memory = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length < 4) {
                    continue;
                }
                if (f[2].equals("cgroup2") && v2 == null) {
                    v2 = Path.of(f[1]);
                } else if (f[2].equals("cgroup") && List.of(f[3].split(",")).contains("memory")) {
                    v1Memory = Path.of(f[1]);
                }
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "reading /proc/self/mounts: " + e.getMessage());
        }
        if (v2 == null) {
            throw new DummException(Reason.HOST_ERROR, "no cgroup v2 hierarchy is mounted; netns guests need one "
                    + "(cgroup.freeze) for pause and resume");
        }
        boolean v2Memory = read(v2.resolve("cgroup.controllers")).map(s -> List.of(s.trim().split(" ")).contains("memory"))
                .orElse(false);
        return new Cgroups(v2, v2Memory ? null : v1Memory, v2Memory, "dumm-netns-" + tag);
    }

    Path dir(String guest) {
        return v2.resolve(group).resolve(guest);
    }

    /** Makes the guest's cgroups with its memory limit; returns the directories a process joins. */
    List<Path> create(String guest, int memoryMb) {
        List<Path> dirs = new ArrayList<>();
        try {
            Path parent = v2.resolve(group);
            Files.createDirectories(parent);
            long bytes = (long) memoryMb << 20;
            if (v2Memory) {
                write(v2.resolve("cgroup.subtree_control"), "+memory");
                write(parent.resolve("cgroup.subtree_control"), "+memory");
            }
            Path d = dir(guest);
            Files.createDirectories(d);
            if (v2Memory && memoryMb > 0) {
                write(d.resolve("memory.max"), Long.toString(bytes));
            }
            dirs.add(d);
            if (v1Memory != null && memoryMb > 0) {
                Path m = v1Memory.resolve(group).resolve(guest);
                Files.createDirectories(m);
                write(m.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                dirs.add(m);
            }
            return dirs;
        } catch (IOException | DummException e) {
            remove(guest);
            throw new DummException(Reason.HOST_ERROR, "cgroups of guest '" + guest + "': " + e.getMessage());
        }
    }

    /** Freezes or thaws every process of the guest and waits until the kernel says it is done. */
    void freeze(String guest, boolean frozen) {
        Path d = dir(guest);
        try {
            write(d.resolve("cgroup.freeze"), frozen ? "1" : "0");
        } catch (IOException e) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': " + (frozen ? "freezing" : "thawing")
                    + " its cgroup: " + e.getMessage());
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        String want = "frozen " + (frozen ? "1" : "0");
        while (!read(d.resolve("cgroup.events")).orElse("").contains(want)) {
            if (System.nanoTime() > deadline) {
                throw new DummException(Reason.TIMEOUT, "guest '" + guest + "' did not " + (frozen ? "freeze" : "thaw")
                        + " within 5 s");
            }
            sleep(2);
        }
    }

    boolean isFrozen(String guest) {
        return read(dir(guest).resolve("cgroup.freeze")).map(s -> s.trim().equals("1")).orElse(false);
    }

    /** True when the guest's cgroup holds a process. */
    boolean populated(String guest) {
        return read(dir(guest).resolve("cgroup.events")).map(s -> s.contains("populated 1")).orElse(false);
    }

    /** Kills every process of the guest's cgroup (cgroup.kill, Linux 5.14+). */
    void killAll(String guest) {
        try {
            write(dir(guest).resolve("cgroup.kill"), "1");
        } catch (IOException e) {
            // gone already, or an older kernel: the pid namespace's end kills the rest
        }
    }

    /** Removes the guest's cgroups once empty (waits up to a second for the last processes to go). */
    void remove(String guest) {
        List<Path> dirs = new ArrayList<>(List.of(dir(guest)));
        if (v1Memory != null) {
            dirs.add(v1Memory.resolve(group).resolve(guest));
        }
        long deadline = System.nanoTime() + 1_000_000_000L;
        for (Path d : dirs) {
            while (true) {
                try {
                    Files.deleteIfExists(d);
                    break;
                } catch (NoSuchFileException e) {
                    break;
                } catch (DirectoryNotEmptyException e) {
                    break; // not a cgroup (files of its own): not ours to remove
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new DummException(Reason.HOST_ERROR, "removing cgroup " + d + ": " + e.getMessage());
                    }
                    sleep(5); // EBUSY while the last processes exit
                }
            }
            try {
                Files.deleteIfExists(d.getParent()); // the instance's directory, once its last guest is gone
            } catch (IOException e) {
                // other guests still there
            }
        }
    }

    /** The guest's cgroups that exist (for leak checks). */
    List<Path> existing(String guest) {
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(dir(guest))) {
            out.add(dir(guest));
        }
        if (v1Memory != null && Files.isDirectory(v1Memory.resolve(group).resolve(guest))) {
            out.add(v1Memory.resolve(group).resolve(guest));
        }
        return out;
    }

    /** The guest's memory use in bytes as its cgroup counts it, if known. */
    Optional<Long> memoryUsed(String guest) {
        Optional<String> s = v2Memory ? read(dir(guest).resolve("memory.current"))
                : v1Memory == null ? Optional.empty()
                : read(v1Memory.resolve(group).resolve(guest).resolve("memory.usage_in_bytes"));
        return s.map(String::trim).map(Long::parseLong);
    }

    private static void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.HOST_ERROR, "interrupted");
        }
    }
}
