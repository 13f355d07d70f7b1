package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.dumm.api.Mesh;
import org.dumm.api.Template;

/** Completes template names. */
@Service
public class TemplateNameCompleter implements Completer {
    @Reference
    Mesh mesh;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(mesh.templates().stream().map(Template::name).toList())
                .complete(session, commandLine, candidates);
    }
}
