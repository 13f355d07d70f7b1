package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.dumm.api.Iface;
import org.dumm.api.Mesh;

/** Completes the interface names of the guest named by the command's first argument. */
@Service
public class IfaceNameCompleter implements Completer {
    @Reference
    Mesh mesh;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        String[] args = commandLine.getArguments();
        // args[0] is the command itself, args[1] the guest
        List<String> names = args.length > 1
                ? mesh.guest(args[1]).map(g -> g.interfaces().stream().map(Iface::name).toList()).orElse(List.of())
                : List.of();
        return new StringsCompleter(names).complete(session, commandLine, candidates);
    }
}
