package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Progress;

/**
 * Brings an existing root filesystem in as a master: a directory (a debootstrap tree) is copied
 * with {@code cp -a} (owners, modes, links, device nodes and xattrs as they are), a tarball (for
 * example {@code docker export} of an image such as Kathará's) is unpacked with tar, keeping
 * numeric owners. Either must look like a root (a shell in bin/ or usr/bin/). A Debian root is
 * then made fit for UML as a built one is ({@link DebianMasterBuilder#makeUmlReady}).
 */
final class MasterImporter {

    private MasterImporter() {
    }

    static void checkSource(Path source) {
        if (!Files.exists(source)) {
            throw new DummException(Reason.NOT_FOUND, "nothing to import at " + source);
        }
        if (!Files.isDirectory(source) && !Files.isRegularFile(source)) {
            throw new DummException(Reason.INVALID_ARGUMENT, source + " is neither a directory nor a tarball");
        }
    }

    /** Fills {@code target} (exists, empty) from {@code source}. */
    static void fill(Path target, Path source, Progress progress) throws IOException {
        if (Files.isDirectory(source)) {
            progress.report("copying " + source + " (cp -a)");
            HostCommand.check("copying " + source, List.of("/bin/cp", "-a", "--reflink=auto", "--",
                    source.toString() + "/.", target.toString()), null, line -> { });
        } else {
            progress.report("unpacking " + source);
            HostCommand.check("unpacking " + source, List.of("/bin/tar", "-x", "-p", "--numeric-owner",
                    "--xattrs", "--xattrs-include=*", "-f", source.toString(), "-C", target.toString()), null, line -> { });
        }
        if (!isRoot(target)) {
            throw new DummException(Reason.INVALID_ARGUMENT, source + " is not a root filesystem (no bin/sh, usr/bin/sh or bin/busybox)");
        }
        if (Files.isRegularFile(target.resolve("etc/debian_version"))) {
            DebianMasterBuilder.makeUmlReady(target, progress);
        }
    }

    /** A shell where a root has one (symbolic links are resolved inside the root, not on the host). */
    static boolean isRoot(Path root) {
        for (String sh : List.of("bin/sh", "usr/bin/sh", "bin/busybox")) {
            Path p = root.resolve(sh);
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        // a merged-/usr root whose bin is a link to usr/bin
        return Files.isSymbolicLink(root.resolve("bin")) && Files.exists(root.resolve("usr/bin/sh"), LinkOption.NOFOLLOW_LINKS);
    }
}
