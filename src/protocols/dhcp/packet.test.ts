// Exact bytes: messages laid out by hand from RFC 2131 §2 and RFC 2132 against the decoder, and the encoder's
// output against bytes written out by hand.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import { MSG, readFields } from "./fields.js";
import { decodeDhcp, encodeDhcp, MAX_DHCP_DATAGRAM, type DhcpMessage } from "./packet.js";
import { replyFrame } from "./reply-frame.js";
import { ascii, handBuilt, hex, opt, uefiDiscover } from "./testing/hand-built.js";

function malformedKind(buf: Buffer): string {
  try {
    decodeDhcp(buf);
  } catch (err) {
    assert.ok(isEnforcerError(err, "ENF_ERR_DHCP_MALFORMED"), `not the coded error: ${String(err)}`);
    return err.details.kind as string;
  }
  assert.fail("decoded");
}

describe("decoding hand-built requests", () => {
  test("an EDK2 UEFI x64 DISCOVER: every header field and the PXE options", () => {
    const m = decodeDhcp(uefiDiscover());
    assert.equal(m.op, 1);
    assert.equal(m.xid, 0x3903f326);
    assert.equal(m.flags, 0x8000);
    assert.equal(m.ciaddr, "0.0.0.0");
    assert.equal(m.chaddr.subarray(0, 6).toString("hex"), "525400123456");
    assert.equal(m.file, "");
    const f = readFields(m);
    assert.equal(f.messageType, MSG.DISCOVER);
    assert.equal(f.mac, "52:54:00:12:34:56");
    assert.equal(f.vendorClass, "PXEClient:Arch:00007:UNDI:003000");
    assert.deepEqual(f.clientArch, [7]);
    assert.deepEqual(f.clientNdi, { type: 1, major: 3, minor: 0 });
    assert.equal(f.maxMessageSize, 1472);
    assert.deepEqual(f.parameterList, [1, 3, 43, 60, 66, 67]);
    // The first three GUID fields arrive little-endian: 78563412 is 12345678 in the text.
    assert.equal(f.clientUuid, "12345678-1234-5678-9abc-def012345678");
    assert.deepEqual([...m.options.keys()], [53, 57, 93, 94, 60, 97, 55]);
  });

  test("iPXE's user class is the plain string `iPXE`; an RFC 3004 list is split; 175 is read as sub-options", () => {
    const ipxe = readFields(
      decodeDhcp(uefiDiscover([opt(77, "iPXE"), opt(175, hex("b1 05 01 10ec 8139 13 01 01"))])),
    );
    assert.deepEqual(ipxe.userClass, ["iPXE"]);
    assert.equal(ipxe.ipxeOptions?.get(0x13)?.toString("hex"), "01");
    assert.equal(ipxe.ipxeOptions?.get(0xb1)?.toString("hex"), "0110ec8139");
    const rfc = readFields(
      decodeDhcp(uefiDiscover([opt(77, Buffer.concat([hex("04"), ascii("rack"), hex("02"), ascii("a1")]))])),
    );
    assert.deepEqual(rfc.userClass, ["rack", "a1"]);
  });

  test("RFC 3396: a long option split in three instances across options area, file and sname is one value", () => {
    const name = "x".repeat(300);
    const buf = handBuilt({
      // Option 52 value 3: file holds options, then sname.
      file: Buffer.concat([opt(67, name.slice(255, 290)), hex("ff")]),
      sname: Buffer.concat([opt(67, name.slice(290)), opt(66, "10.0.0.9"), hex("ff")]),
      options: Buffer.concat([
        opt(53, hex("05")),
        opt(52, hex("03")),
        opt(67, name.slice(0, 255)),
        hex("ff"),
      ]),
    });
    const m = decodeDhcp(buf);
    assert.equal(m.options.get(67)?.toString(), name);
    assert.equal(m.options.get(66)?.toString(), "10.0.0.9");
    assert.equal(readFields(m).bootfileName, name);
    assert.equal(readFields(m).tftpServer, "10.0.0.9");
    assert.equal(m.options.has(52), false, "overload is consumed, never passed on");
    assert.equal(m.file, "");
    assert.equal(m.sname, "");
  });

  test("without overload, file and sname are NUL-terminated names", () => {
    const m = decodeDhcp(
      handBuilt({ file: ascii("undionly.kpxe\0junk"), sname: ascii("boot"), options: hex("350102ff") }),
    );
    assert.equal(m.file, "undionly.kpxe");
    assert.equal(m.sname, "boot");
  });

  test("padding and a missing END are accepted; the options area may just run out", () => {
    const m = decodeDhcp(handBuilt({ options: hex("00 00 35 01 03 00") }));
    assert.equal(readFields(m).messageType, MSG.REQUEST);
  });

  test("a wrong shape in a field's option leaves the field out and keeps the bytes", () => {
    const f = readFields(decodeDhcp(uefiDiscover([opt(97, hex("01 02")), opt(93, hex("07"))].reverse())));
    // uefiDiscover already has 93 and 97; the extra instances concatenate (RFC 3396) into wrong lengths.
    assert.equal(f.clientUuid, undefined);
    assert.equal(f.clientArch, undefined);
  });
});

describe("malformed datagrams are refused with ENF_ERR_DHCP_MALFORMED and a kind", () => {
  const good = uefiDiscover();
  const cases: [string, Buffer, string][] = [
    ["empty", Buffer.alloc(0), "too-short"],
    ["header without cookie", good.subarray(0, 239), "too-short"],
    [
      "one byte over 1472",
      Buffer.concat([good, Buffer.alloc(MAX_DHCP_DATAGRAM + 1 - good.length)]),
      "too-large",
    ],
    ["64 KiB", Buffer.alloc(65507), "too-large"],
    ["BOOTP without the cookie", handBuilt({ cookie: 0, options: hex("ff") }), "bad-magic"],
    ["option length past the end", handBuilt({ options: hex("35 01 01 3c 20 50 58 45") }), "malformed"],
    ["option code with no length byte", handBuilt({ options: hex("35 01 01 3c") }), "malformed"],
    ["op 3", handBuilt({ op: 3, options: hex("ff") }), "malformed"],
    ["overload value 4", handBuilt({ options: hex("34 01 04 ff") }), "malformed"],
    ["overload of 2 bytes", handBuilt({ options: hex("34 02 01 01 ff") }), "malformed"],
    [
      "option overflow inside the overloaded file field",
      handBuilt({ file: hex("43 ff 01"), options: hex("34 01 01 ff") }),
      "malformed",
    ],
    ["message type of 2 bytes", handBuilt({ options: hex("35 02 01 01 ff") }), "malformed"],
    ["message type 0", handBuilt({ options: hex("35 01 00 ff") }), "malformed"],
  ];
  for (const [name, buf, kind] of cases) test(name, () => assert.equal(malformedKind(buf), kind));

  test("hlen over 16", () => {
    const buf = uefiDiscover();
    buf[2] = 17;
    assert.equal(malformedKind(buf), "malformed");
  });
});

describe("encoding", () => {
  const offer: DhcpMessage = {
    op: 2,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0x3903f326,
    secs: 0,
    flags: 0x8000,
    ciaddr: "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "10.77.0.1",
    giaddr: "0.0.0.0",
    chaddr: Buffer.concat([hex("525400123456"), Buffer.alloc(10)]),
    sname: "",
    file: "snponly.efi",
    options: new Map([
      [53, hex("02")],
      [54, hex("0a4d0001")],
      [60, ascii("PXEClient")],
    ]),
  };

  test("a proxy OFFER is exactly the hand-laid bytes, padded to the BOOTP minimum of 300", () => {
    const expected = handBuilt({
      op: 2,
      flags: 0x8000,
      siaddr: [10, 77, 0, 1],
      file: ascii("snponly.efi"),
      options: Buffer.concat([opt(53, hex("02")), opt(54, hex("0a4d0001")), opt(60, "PXEClient"), hex("ff")]),
    });
    const padded = Buffer.concat([expected, Buffer.alloc(300 - expected.length)]);
    assert.deepEqual(encodeDhcp(offer), padded);
  });

  test("an option over 255 bytes goes out as consecutive instances (RFC 3396) and reads back whole", () => {
    const url = `http://10.77.0.1/${"a".repeat(400)}`;
    const bytes = encodeDhcp({ ...offer, options: new Map([[67, ascii(url)]]) });
    assert.deepEqual(bytes.subarray(240, 242), hex("43ff"));
    assert.deepEqual(bytes.subarray(240 + 257, 240 + 259), Buffer.from([67, url.length - 255]));
    assert.equal(decodeDhcp(bytes).options.get(67)?.toString(), url);
  });

  test("refuses what would not read back the same: long or NUL file, overload, PAD/END codes, oversize", () => {
    const refuses = (m: DhcpMessage, maxSize?: number) =>
      assert.throws(
        () => encodeDhcp(m, { maxSize }),
        (e) => isEnforcerError(e, "ENF_ERR_DHCP_ENCODE"),
      );
    refuses({ ...offer, file: "f".repeat(129) });
    refuses({ ...offer, sname: "s".repeat(65) });
    refuses({ ...offer, file: "a\0b" });
    refuses({ ...offer, file: "ünï€" });
    refuses({ ...offer, options: new Map([[52, hex("01")]]) });
    refuses({ ...offer, options: new Map([[0, hex("")]]) });
    refuses({ ...offer, options: new Map([[255, hex("")]]) });
    refuses({ ...offer, siaddr: "10.0.0.256" });
    refuses({ ...offer, xid: -1 });
    refuses({ ...offer, options: new Map([[43, Buffer.alloc(400)]]) }, 576);
    assert.equal(
      encodeDhcp({ ...offer, file: "f".repeat(128) }).length,
      300,
      "128 bytes fill the field, no NUL needed",
    );
  });
});

test("replyFrame copies what RFC 2131 table 3 says a reply copies, and nothing else", () => {
  const req = decodeDhcp(
    handBuilt({
      flags: 0x8000,
      ciaddr: [10, 0, 0, 7],
      giaddr: [10, 1, 0, 1],
      file: ascii("x"),
      options: hex("350103 3d0701525400123456 ff"),
    }),
  );
  const offer = replyFrame(req, MSG.OFFER);
  assert.deepEqual(
    { ...offer, chaddr: offer.chaddr.toString("hex"), options: [...offer.options] },
    {
      op: 2,
      htype: 1,
      hlen: 6,
      hops: 0,
      xid: 0x3903f326,
      secs: 0,
      flags: 0x8000,
      ciaddr: "0.0.0.0",
      yiaddr: "0.0.0.0",
      siaddr: "0.0.0.0",
      giaddr: "10.1.0.1",
      chaddr: req.chaddr.toString("hex"),
      sname: "",
      file: "",
      options: [[53, hex("02")]],
    },
  );
  assert.equal(replyFrame(req, MSG.ACK).ciaddr, "10.0.0.7", "an ACK (to an INFORM, say) keeps ciaddr");
});
