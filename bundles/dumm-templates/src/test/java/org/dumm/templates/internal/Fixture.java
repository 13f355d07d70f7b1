package org.dumm.templates.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.dumm.api.spi.GuestRoot;
import org.dumm.api.spi.UnionFs;
import org.dumm.nativ.Mounts;
import org.dumm.nativ.Native;

/** A working directory under /tmp/dmu-*-… laid out as DESIGN.md §3, torn down with all its mounts. */
final class Fixture {

    final Path base;
    final UnionFs unionFs;

    Fixture(String prefix, UnionFs unionFs) throws IOException {
        this.base = Files.createTempDirectory(Path.of("/tmp"), prefix).toRealPath();
        this.unionFs = unionFs;
    }

    Path master(String name) {
        return base.resolve("masters").resolve(name);
    }

    GuestRoot root(String guest, String master) throws IOException {
        Path g = base.resolve("guests").resolve(guest);
        Files.createDirectories(g.resolve("diff"));
        return new GuestRoot(guest, master(master), g.resolve("diff"), g.resolve("work"), g.resolve("union"), null);
    }

    static Path write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }

    /** Unmounts everything below the base (ours through UnionFs, anything else detached) and deletes it. */
    List<String> tearDown() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path m : unionFs.mountsUnder(base)) {
            try {
                unionFs.unmount(m);
            } catch (RuntimeException e) {
                problems.add(m + ": " + e.getMessage());
                Native.libc().umount2(m.toString(), Mounts.MNT_DETACH);
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String point = line.split(" ")[4];
            if (point.startsWith(base.toString())) {
                problems.add("left mounted: " + point);
                Native.libc().umount2(point, Mounts.MNT_DETACH);
            }
        }
        Trees.delete(base);
        return problems;
    }
}
