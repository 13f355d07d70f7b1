package org.dumm.test.internal;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The exec commands that write one file into a guest. The agent's commands travel over the guest's
 * console line, and a command much longer than its 4096-byte line buffer never arrives, so the
 * content goes base64-encoded in pieces that each decode alone.
 */
final class GuestFileWrite {

    /** Base64 characters per command: a multiple of 4, well under the console's line. */
    static final int PIECE = 2400;

    private GuestFileWrite() {
    }

    /** Creates the directory and an empty file with {@code mode}, then appends the pieces. */
    static List<String> commands(String target, byte[] content, String mode) {
        String dir = target.substring(0, target.lastIndexOf('/'));
        String file = ScenarioRun.quote(target);
        String b64 = Base64.getEncoder().encodeToString(content);
        List<String> steps = new ArrayList<>();
        steps.add("mkdir -p " + ScenarioRun.quote(dir.isEmpty() ? "/" : dir) + " && : > " + file + " && chmod " + mode
                + " " + file);
        for (int i = 0; i < b64.length(); i += PIECE) {
            steps.add("printf %s " + b64.substring(i, Math.min(b64.length(), i + PIECE)) + " | base64 -d >> " + file);
        }
        return steps;
    }
}
