import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What the test ESP's EFI application prints on the firmware's console before it powers the machine off. */
export const EFI_LOCAL_DISK_MARKER = "ENF-LOCAL-DISK-EFI";

/**
 * A minimal x86-64 EFI application (PE32+, subsystem 10): prints EFI_LOCAL_DISK_MARKER through
 * SystemTable->ConOut->OutputString, then RuntimeServices->ResetSystem(EfiResetShutdown). Position-independent
 * (one RIP-relative `lea`), so it needs no relocations wherever the firmware loads it.
 */
export function markerEfiApp(): Buffer {
  const msg = Buffer.from(`\r\n${EFI_LOCAL_DISK_MARKER}\r\n\0`, "utf16le");
  // MS x64 ABI: rcx = ImageHandle, rdx = SystemTable; ConOut at +64, RuntimeServices at +88,
  // OutputString at +8 of the protocol, ResetSystem at +104 of the runtime services table.
  // prettier-ignore
  const code = Buffer.from([
    0x48, 0x83, 0xec, 0x28, //             sub rsp, 40 (shadow space, 16-byte aligned calls)
    0x48, 0x89, 0xd3, //                   mov rbx, rdx
    0x48, 0x8b, 0x4a, 0x40, //             mov rcx, [rdx+64] (ConOut)
    0x48, 0x8d, 0x15, 0x1e, 0x00, 0x00, 0x00, // lea rdx, [rip+30] (the message, at 0x30)
    0xff, 0x51, 0x08, //                   call [rcx+8] (OutputString)
    0x48, 0x8b, 0x43, 0x58, //             mov rax, [rbx+88] (RuntimeServices)
    0xb9, 0x02, 0x00, 0x00, 0x00, //       mov ecx, 2 (EfiResetShutdown)
    0x31, 0xd2, //                         xor edx, edx
    0x45, 0x31, 0xc0, //                   xor r8d, r8d
    0x45, 0x31, 0xc9, //                   xor r9d, r9d
    0xff, 0x50, 0x68, //                   call [rax+104] (ResetSystem)
    0xeb, 0xfe, //                         jmp $
  ]);
  // CHAR16 strings are 2-byte aligned: the message starts at 0x30, after the code.
  const MSG_AT = 0x30;
  if (code.length > MSG_AT) throw new Error("the EFI application's code overlaps its message");
  const FILE_ALIGN = 0x200;
  const SECTION_RVA = 0x1000;
  const text = Buffer.alloc(FILE_ALIGN);
  code.copy(text, 0);
  msg.copy(text, MSG_AT);
  const headers = Buffer.alloc(FILE_ALIGN);
  headers.write("MZ", 0, "ascii");
  headers.writeUInt32LE(0x40, 0x3c); // e_lfanew
  headers.write("PE\0\0", 0x40, "ascii");
  const coff = 0x44;
  headers.writeUInt16LE(0x8664, coff); // x86-64
  headers.writeUInt16LE(1, coff + 2); // one section
  headers.writeUInt16LE(240, coff + 16); // PE32+ optional header with 16 data directories
  headers.writeUInt16LE(0x0022, coff + 18); // executable, large-address aware (relocations not stripped)
  const opt = coff + 20;
  headers.writeUInt16LE(0x20b, opt); // PE32+
  headers.writeUInt32LE(FILE_ALIGN, opt + 4); // SizeOfCode
  headers.writeUInt32LE(SECTION_RVA, opt + 16); // AddressOfEntryPoint
  headers.writeUInt32LE(SECTION_RVA, opt + 20); // BaseOfCode
  headers.writeBigUInt64LE(0x400000n, opt + 24); // ImageBase
  headers.writeUInt32LE(0x1000, opt + 32); // SectionAlignment
  headers.writeUInt32LE(FILE_ALIGN, opt + 36); // FileAlignment
  headers.writeUInt32LE(SECTION_RVA + 0x1000, opt + 56); // SizeOfImage
  headers.writeUInt32LE(FILE_ALIGN, opt + 60); // SizeOfHeaders
  headers.writeUInt16LE(10, opt + 68); // EFI application
  headers.writeBigUInt64LE(0x10000n, opt + 72); // stack reserve
  headers.writeBigUInt64LE(0x10000n, opt + 80); // stack commit
  headers.writeUInt32LE(16, opt + 108); // NumberOfRvaAndSizes (all empty)
  const sec = opt + 240;
  headers.write(".text", sec, "ascii");
  headers.writeUInt32LE(FILE_ALIGN, sec + 8); // VirtualSize
  headers.writeUInt32LE(SECTION_RVA, sec + 12); // VirtualAddress
  headers.writeUInt32LE(FILE_ALIGN, sec + 16); // SizeOfRawData
  headers.writeUInt32LE(FILE_ALIGN, sec + 20); // PointerToRawData
  headers.writeUInt32LE(0x60000020, sec + 36); // code, execute, read
  return Buffer.concat([headers, text]);
}

/**
 * Lays out `dir` as an EFI system partition whose removable-media path `EFI/BOOT/BOOTX64.EFI` is the marker
 * application; QEMU serves it as a FAT disk (`-drive file=fat:<dir>`), so no FAT tools are needed.
 */
export function writeEfiBootDir(dir: string): void {
  mkdirSync(join(dir, "EFI", "BOOT"), { recursive: true });
  writeFileSync(join(dir, "EFI", "BOOT", "BOOTX64.EFI"), markerEfiApp());
}
