package org.dumm.shell.command;

import java.util.Locale;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.DummException;
import org.dumm.api.Iface;
import org.dumm.api.Impairment;
import org.dumm.api.LinkDirection;

@Service
@Command(scope = "dumm", name = "link-set", description = "Impairs an interface's cable (netem): delay, jitter, loss, duplicate, corrupt, reorder, rate")
public class LinkSetCommand extends MeshCommand {

    @Option(name = "--delay", description = "added delay, e.g. 10ms")
    String delay;
    @Option(name = "--jitter", description = "delay variation, e.g. 2ms")
    String jitter;
    @Option(name = "--loss", description = "packets lost, e.g. 1%")
    String loss;
    @Option(name = "--duplicate", description = "packets duplicated, e.g. 1%")
    String duplicate;
    @Option(name = "--corrupt", description = "packets corrupted, e.g. 0.1%")
    String corrupt;
    @Option(name = "--reorder", description = "packets reordered, e.g. 5% (needs --delay)")
    String reorder;
    @Option(name = "--rate", description = "rate limit, e.g. 1mbit")
    String rate;
    @Option(name = "--direction", description = "in (to the guest), out (from it) or both (default)")
    String direction = "both";

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Override
    public Object execute() {
        LinkDirection d;
        try {
            d = LinkDirection.valueOf(direction.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT,
                    "--direction '" + direction + "': expected in, out or both");
        }
        Iface i = mesh.setImpairment(guest, iface, d,
                Impairment.parse(delay, jitter, loss, duplicate, corrupt, reorder, rate));
        System.out.println(guest + "/" + iface + ": in " + i.link().toGuest().describe() + "; out "
                + i.link().fromGuest().describe());
        return null;
    }
}
