package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.dumm.api.Master;
import org.dumm.api.Mesh;

/** Completes master names. */
@Service
public class MasterNameCompleter implements Completer {
    @Reference
    Mesh mesh;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(mesh.masters().stream().map(Master::name).toList())
                .complete(session, commandLine, candidates);
    }
}
