import { writeFileSync } from "node:fs";

/** What the test disk's boot sector writes to the first serial port before it resets the machine. */
export const LOCAL_DISK_MARKER = "ENF-LOCAL-DISK";

/**
 * Writes a 1 MiB raw disk whose MBR prints LOCAL_DISK_MARKER on COM1 and then resets through the keyboard
 * controller (QEMU with -no-reboot exits). Proves that `sanboot --drive 0x80` really boots the local disk.
 */
export function writeBootDisk(path: string): void {
  const msg = Buffer.from(`\r\n${LOCAL_DISK_MARKER}\r\n\0`, "ascii");
  // prettier-ignore
  const code = Buffer.from([
    0x31, 0xc0, //       xor ax, ax
    0x8e, 0xd8, //       mov ds, ax
    0xfc, //             cld
    0xbe, 0x19, 0x7c, // mov si, 0x7c19 (the message, right after this code)
    0xba, 0xf8, 0x03, // mov dx, 0x3f8 (COM1)
    0xac, //             next: lodsb
    0x84, 0xc0, //       test al, al
    0x74, 0x03, //       jz done
    0xee, //             out dx, al
    0xeb, 0xf8, //       jmp next
    0xb0, 0xfe, //       done: mov al, 0xfe
    0xe6, 0x64, //       out 0x64, al (reset)
    0xfa, 0xf4, //       cli; hlt
  ]);
  const disk = Buffer.alloc(1024 * 1024);
  code.copy(disk, 0);
  msg.copy(disk, code.length);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  writeFileSync(path, disk);
}
