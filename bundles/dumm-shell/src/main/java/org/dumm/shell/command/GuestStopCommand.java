package org.dumm.shell.command;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.DummException;
import org.dumm.api.Guest;
import org.dumm.api.GuestState;

@Service
@Command(scope = "dumm", name = "guest-stop", description = "Shuts guests down (graceful, then killed after the timeout)")
public class GuestStopCommand extends MeshCommand {

    @Argument(index = 0, name = "names", description = "Guests to stop", multiValued = true)
    @Completion(GuestNameCompleter.class)
    List<String> names;

    @Option(name = "--all", description = "Stop every running guest")
    boolean all;

    @Option(name = "--timeout", description = "Seconds to wait for a graceful shutdown (default 10)")
    int timeoutSeconds = 10;

    @Override
    public Object execute() {
        names = TrailingOptions.apply(this, names);
        List<String> selected = guestsOrAll(names, all);
        if (all) {
            selected = mesh.guests().stream()
                    .filter(g -> g.state() == GuestState.RUNNING || g.state() == GuestState.PAUSED
                            || g.state() == GuestState.CRASHED)
                    .map(Guest::name).toList();
        }
        if (selected.isEmpty()) {
            System.out.println("no guest to stop");
            return null;
        }
        Map<String, String> failures = mesh.stopGuests(selected, Duration.ofSeconds(timeoutSeconds),
                selected.size() > 1 ? line -> System.out.println(line) : line -> { });
        failures.forEach((n, why) -> System.out.println("failed: " + n + ": " + why));
        if (!failures.isEmpty()) {
            throw new DummException(DummException.Reason.GUEST_FAILURE, failures.size() + " guest(s) failed to stop: "
                    + String.join("; ", failures.values()));
        }
        System.out.println((selected.size()) + " stopped");
        return null;
    }
}
