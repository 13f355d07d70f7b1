package org.dumm.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Notes when a file first appears (e.g. UML's mconsole socket), polling every 2 ms on its own thread. */
final class FileWatch {

    private final Path file;
    private volatile long seenAt = -1;
    private volatile boolean stopped;
    private final Thread thread;

    private FileWatch(Path file) {
        this.file = file;
        this.thread = new Thread(this::poll, "dmb-watch");
        this.thread.setDaemon(true);
    }

    static FileWatch start(Path file) {
        FileWatch w = new FileWatch(file);
        w.thread.start();
        return w;
    }

    private void poll() {
        while (!stopped) {
            if (Files.exists(file)) {
                seenAt = System.nanoTime();
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops watching; nanoseconds from {@code t0} until the file appeared, or -1 if it never did. */
    long stop(long t0) {
        stopped = true;
        try {
            thread.join(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long s = seenAt;
        return s < 0 ? -1 : s - t0;
    }
}
