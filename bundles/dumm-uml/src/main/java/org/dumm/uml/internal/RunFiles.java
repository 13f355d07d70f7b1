package org.dumm.uml.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A guest's runtime files in its run dir (UML's uml_dir):
 * <pre>
 * &lt;runDir&gt;/&lt;umid&gt;/pid        written by UML: its main pid
 * &lt;runDir&gt;/&lt;umid&gt;/mconsole   UML's management socket
 * &lt;runDir&gt;/console.log       UML's stdout/stderr and the kernel console (con0)
 * &lt;runDir&gt;/paused            present while Dumm has the guest paused (mconsole stop)
 * &lt;runDir&gt;/dumm-xstate.so    preloaded into linux.uml, see {@link XstateShim}
 * </pre>
 */
final class RunFiles {

    final Path runDir;
    final Path umidDir;
    final Path pidFile;
    final Path mconsole;
    final Path consoleLog;
    final Path pausedMarker;

    RunFiles(Path runDir, String umid) {
        this.runDir = runDir;
        this.umidDir = runDir.resolve(umid);
        this.pidFile = umidDir.resolve("pid");
        this.mconsole = umidDir.resolve("mconsole");
        this.consoleLog = runDir.resolve("console.log");
        this.pausedMarker = runDir.resolve("paused");
    }

    /** The pid UML recorded, or -1. */
    int readPid() {
        try {
            return Integer.parseInt(Files.readString(pidFile).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The last {@code lines} non-empty lines of the console log, joined with " | ". */
    String consoleTail(int lines) {
        if (!Files.isRegularFile(consoleLog)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(consoleLog.toFile(), "r")) {
            long len = f.length();
            int take = (int) Math.min(len, 4096);
            byte[] tail = new byte[take];
            f.seek(len - take);
            f.readFully(tail);
            String[] all = new String(tail, StandardCharsets.UTF_8).split("\r?\n");
            List<String> kept = new ArrayList<>();
            for (int i = all.length - 1; i >= 0 && kept.size() < lines; i--) {
                String s = all[i].strip();
                if (!s.isEmpty()) {
                    kept.add(0, s.length() > 160 ? s.substring(0, 160) + "…" : s);
                }
            }
            return String.join(" | ", kept);
        } catch (IOException e) {
            return "";
        }
    }

    /** Removes what a dead guest leaves behind; the console log stays for a post-mortem. */
    void removeStale() {
        BootLayer.deleteTree(umidDir);
        deleteQuietly(pausedMarker);
    }

    /** Removes every runtime file, and the run dir itself when {@code runDirToo}. */
    void removeAll(boolean runDirToo) {
        removeStale();
        deleteQuietly(consoleLog);
        deleteQuietly(runDir.resolve(XstateShim.FILE));
        deleteQuietly(runDir.resolve("jail")); // the jail's mount point (see UmlJail), empty on the host
        if (runDirToo) {
            deleteQuietly(runDir); // only if empty
        }
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // not empty or not ours to remove: leave it
        }
    }
}
