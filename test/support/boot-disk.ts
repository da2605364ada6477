import { writeFileSync } from "node:fs";

/** What the test disk's boot sector writes to the first serial port before it resets the machine. */
export const LOCAL_DISK_MARKER = "ENF-LOCAL-DISK";

/**
 * Writes a 1 MiB raw disk whose MBR prints LOCAL_DISK_MARKER (three lines of it) on COM1 and then resets through the keyboard
 * controller (QEMU with -no-reboot exits). Proves that `sanboot --drive 0x80` really boots the local disk.
 * With `halt`, it stays up after the marker like an installed OS would (a VM that reboots itself stays on).
 */
export function writeBootDisk(path: string, o: { halt?: boolean } = {}): void {
  // Three times: under load QEMU has put a stray byte of iPXE's console inside one copy (seen in CI as
  // `ENF-LOCAL-D0\nISK`); a test needs one whole copy.
  const marker = `${LOCAL_DISK_MARKER}\r\n`;
  const msg = Buffer.from(`\r\n${marker}${marker}${marker}\0`, "ascii");
  // Each byte waits for the UART's transmitter to be empty (LSR bit 6) first: iPXE's last characters may still
  // be in it when the disk boots, and QEMU, writing to a busy pipe, then put ours before them (seen in CI).
  // prettier-ignore
  const code = Buffer.from([
    0x31, 0xc0, //       xor ax, ax
    0x8e, 0xd8, //       mov ds, ax
    0xfc, //             cld
    0xbe, 0x21, 0x7c, // mov si, 0x7c21 (the message, right after this code)
    0xba, 0xfd, 0x03, // next: mov dx, 0x3fd (COM1 line status)
    0xec, //             wait: in al, dx
    0xa8, 0x40, //       test al, 0x40 (transmitter empty)
    0x74, 0xfb, //       jz wait
    0xac, //             lodsb
    0x84, 0xc0, //       test al, al
    0x74, 0x06, //       jz done
    0xba, 0xf8, 0x03, // mov dx, 0x3f8 (COM1 data)
    0xee, //             out dx, al
    0xeb, 0xed, //       jmp next
    0xb0, 0xfe, //       done: mov al, 0xfe
    0xe6, 0x64, //       out 0x64, al (reset)
    0xfa, 0xf4, //       cli; hlt
  ]);
  if (o.halt) code.fill(0x90, 0x1b, 0x1f); // the reset becomes four nops: cli; hlt for good
  if (code.length !== 0x21) throw new Error("the boot sector's message offset is wrong");
  const disk = Buffer.alloc(1024 * 1024);
  code.copy(disk, 0);
  msg.copy(disk, code.length);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  writeFileSync(path, disk);
}
