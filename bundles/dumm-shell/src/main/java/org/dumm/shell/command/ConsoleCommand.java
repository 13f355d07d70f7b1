package org.dumm.shell.command;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.dumm.api.ConsoleSession;
import org.dumm.lab.LabService;

@Service
@Command(scope = "dumm", name = "console", description = "Attaches to a guest's console; Ctrl-] detaches")
public class ConsoleCommand extends MeshCommand {

    /** Ctrl-], as telnet uses it. */
    private static final int DETACH = 0x1d;

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Option(name = "--lab", description = "The guest is this lab's device: give the device's name instead of the guest's")
    String lab;

    /** Optional: the commands work without feature dumm-lab, --lab then fails. */
    @Reference(optional = true)
    LabService labs;

    @Reference
    Session session;

    @Override
    public Object execute() throws Exception {
        PrintStream out = session.getConsole();
        InputStream keyboard = session.getKeyboard();
        String guest = LabCommands.guest(labs, lab, this.guest);
        try (ConsoleSession console = mesh.console(guest)) {
            out.println("connected to " + guest + " (" + console.device() + "); Ctrl-] detaches");
            out.flush();
            Thread pump = new Thread(() -> copy(console.output(), out), "dumm-console-" + guest);
            pump.setDaemon(true);
            pump.start();
            OutputStream toGuest = console.input();
            // Enter once so a waiting shell prints its prompt.
            toGuest.write('\n');
            toGuest.flush();
            int c;
            while ((c = keyboard.read()) != -1 && c != DETACH) {
                toGuest.write(c);
                if (keyboard.available() == 0) {
                    toGuest.flush();
                }
            }
        }
        out.println();
        out.println("detached from " + guest);
        return null;
    }

    private static void copy(InputStream in, PrintStream out) {
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the console was closed: detach
        }
    }
}
