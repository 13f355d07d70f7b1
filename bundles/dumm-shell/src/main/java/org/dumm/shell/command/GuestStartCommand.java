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
@Command(scope = "dumm", name = "guest-start", description = "Boots guests (in parallel when several)")
public class GuestStartCommand extends MeshCommand {

    @Argument(index = 0, name = "names", description = "Guests to start", multiValued = true)
    @Completion(GuestNameCompleter.class)
    List<String> names;

    @Option(name = "--all", description = "Start every stopped or crashed guest")
    boolean all;

    @Option(name = "--wait", description = "Also wait until their startup is done (systemd guests: the end of their boot)")
    boolean wait;

    @Option(name = "--timeout", description = "Seconds --wait waits per guest (default 180)")
    int timeoutSeconds = 180;

    @Override
    public Object execute() {
        names = TrailingOptions.apply(this, names);
        List<String> selected = guestsOrAll(names, all);
        if (all) {
            selected = mesh.guests().stream()
                    .filter(g -> g.state() == GuestState.STOPPED || g.state() == GuestState.CRASHED)
                    .map(Guest::name).toList();
        }
        if (selected.isEmpty()) {
            System.out.println("no guest to start");
            return null;
        }
        long t0 = System.nanoTime();
        Map<String, String> failures = selected.size() == 1
                ? single(selected.get(0))
                : mesh.startGuests(selected, line -> System.out.println(line));
        if (wait) {
            for (String n : selected) {
                if (!failures.containsKey(n)) {
                    Guest g = mesh.awaitStartup(n, Duration.ofSeconds(timeoutSeconds));
                    System.out.println(n + ": startup " + Views.startupLine(g.startup()));
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        failures.forEach((n, why) -> System.out.println("failed: " + n + ": " + why));
        System.out.println((selected.size() - failures.size()) + " of " + selected.size() + " started in " + ms + " ms");
        if (!failures.isEmpty()) {
            throw new DummException(DummException.Reason.GUEST_FAILURE, failures.size() + " guest(s) failed to start");
        }
        return null;
    }

    private Map<String, String> single(String name) {
        mesh.startGuest(name);
        return Map.of();
    }
}
