package org.dumm.shell.command;

import java.time.Duration;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.CommandLine;
import org.dumm.api.DummException;
import org.dumm.api.ExecResult;
import org.dumm.lab.LabService;

@Service
@Command(scope = "dumm", name = "exec", description = "Runs a command in a guest; fails when the command exits non-zero")
public class ExecCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Option(name = "--lab", description = "The guest is this lab's device: give the device's name instead of the guest's")
    String lab;

    /** Optional: the commands work without feature dumm-lab, --lab then fails. */
    @Reference(optional = true)
    LabService labs;

    @Argument(index = 1, name = "command", description = "One word: a command line for /bin/sh -c; several: a command and its arguments, each passed as one", required = true, multiValued = true)
    List<String> command;

    @Option(name = "--timeout", description = "Seconds before the command is killed (default 60)")
    int timeoutSeconds = 60;

    @Option(name = "--wait", description = "First wait until the guest's startup is done (systemd guests: the end of their boot), at most 180 s")
    boolean wait;

    @Override
    public Object execute() {
        String guest = LabCommands.guest(labs, lab, this.guest);
        if (wait) {
            mesh.awaitStartup(guest, Duration.ofSeconds(180));
        }
        ExecResult r = mesh.exec(guest, CommandLine.of(command), Duration.ofSeconds(timeoutSeconds));
        System.out.print(r.stdoutText());
        if (r.stderr().length > 0) {
            System.err.print(r.stderrText());
        }
        System.out.flush();
        if (r.timedOut()) {
            throw new DummException(DummException.Reason.TIMEOUT, "command timed out after " + timeoutSeconds + " s and was killed");
        }
        if (r.exitStatus() != 0) {
            throw new DummException(DummException.Reason.GUEST_FAILURE, "command exited with status " + r.exitStatus());
        }
        return null;
    }
}
