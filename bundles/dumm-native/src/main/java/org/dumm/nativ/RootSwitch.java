package org.dumm.nativ;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/**
 * Runs one of the backends' small static helpers that move a running guest onto the mount now
 * at a host path (a template was switched): {@code dumm-nslaunch --reroot} for netns guests,
 * {@code dumm-umljail --remount} for jailed UML kernels. A helper process and not a call from
 * the JVM, because entering another mount namespace (setns) needs a single-threaded caller.
 */
public final class RootSwitch {

    private RootSwitch() {
    }

    /**
     * Runs {@code helper args...} and returns when it succeeded.
     *
     * @throws DummException GUEST_FAILURE with the helper's message when it failed (the guest then
     *         kept the root it had), TIMEOUT after 10 s, HOST_ERROR when it cannot be run
     */
    public static void run(String guest, Path helper, String... args) {
        List<String> cmd = new ArrayList<>(List.of(helper.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new DummException(Reason.TIMEOUT, "guest '" + guest + "': switching its root timed out");
            }
            if (p.exitValue() != 0) {
                throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "' could not take its new root: "
                        + (out.isEmpty() ? helper.getFileName() + " exit " + p.exitValue() : out));
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "guest '" + guest + "': running " + helper + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.TIMEOUT, "guest '" + guest + "': interrupted while switching its root");
        }
    }
}
