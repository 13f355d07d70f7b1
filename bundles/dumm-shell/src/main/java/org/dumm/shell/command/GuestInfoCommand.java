package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.dumm.api.DummException;
import org.dumm.api.Capture;
import org.dumm.api.CaptureService;
import org.dumm.api.Guest;
import org.dumm.api.Iface;
import org.dumm.lab.LabService;

@Service
@Command(scope = "dumm", name = "guest-info", description = "Shows one guest and its interfaces")
public class GuestInfoCommand extends MeshCommand {

    @Argument(index = 0, name = "name", required = true)
    @Completion(GuestNameCompleter.class)
    String name;

    @Option(name = "--lab", description = "The guest is this lab's device: give the device's name instead of the guest's")
    String lab;

    /** Optional: the commands work without feature dumm-lab, --lab then fails. */
    @Reference(optional = true)
    LabService labs;

    /** Optional: without feature dumm-capture there are no captures to show. */
    @Reference(optional = true)
    CaptureService captures;


    @Argument(index = 1, name = "options", description = "Options may also follow the arguments", multiValued = true)
    List<String> trailing;
    @Option(name = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public Object execute() {
        TrailingOptions.applyAll(this, trailing);
        String name = LabCommands.guest(labs, lab, this.name);
        Guest g = mesh.guest(name).orElseThrow(() -> new DummException(DummException.Reason.NOT_FOUND,
                "guest '" + name + "' does not exist"));
        List<Capture> own = captures == null ? List.of() : Views.capturesOf(g.name(), captures.captures());
        if (json) {
            java.util.Map<String, Object> view = new java.util.LinkedHashMap<>(Views.guest(g));
            view.put("captures", own);
            System.out.println(Views.json(view));
            return null;
        }
        System.out.println("Name     : " + g.name());
        System.out.println("State    : " + g.state().name().toLowerCase());
        System.out.println("Pid      : " + (g.pid() == 0 ? "-" : g.pid()));
        System.out.println("Started  : " + (g.startedAt() == null ? "-" : g.startedAt()));
        System.out.println("Backend  : " + g.backend());
        System.out.println("Kernel   : " + g.kernel());
        System.out.println("Master   : " + g.master());
        System.out.println("Memory   : " + g.memoryMb() + "M");
        System.out.println("Args     : " + Views.join(g.extraArgs()));
        System.out.println("Modules  : " + Views.modulesLine(g));
        System.out.println("Startup  : " + Views.startupLine(g.startup()));
        ShellTable table = new ShellTable();
        table.column("Iface");
        table.column("TAP");
        table.column("Bridge");
        table.column("MAC");
        table.column("Transport");
        table.column("Addresses");
        table.column("Link");
        for (Iface i : g.interfaces()) {
            table.addRow().addContent(i.name(), i.tap(), Views.dash(i.bridge()), i.mac(),
                    i.transport().name().toLowerCase(), Views.join(i.addresses()), Views.linkLine(i));
        }
        table.print(System.out);
        for (Capture c : own) {
            System.out.println("Capture  : " + Views.captureLine(c));
        }
        return null;
    }
}
