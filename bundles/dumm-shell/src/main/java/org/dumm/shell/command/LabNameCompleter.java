package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.dumm.lab.LabInfo;
import org.dumm.lab.LabService;

/** Completes the names of the labs Dumm remembers. */
@Service
public class LabNameCompleter implements Completer {
    @Reference
    LabService labs;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(labs.labs().stream().map(LabInfo::name).toList())
                .complete(session, commandLine, candidates);
    }
}
