//! Communication ports: a filter creates a named server port (FltCreateCommunicationPort);
//! a user program connects to it (FilterConnectCommunicationPort: the access check against
//! the port's security descriptor, the connection limit, the filter's ConnectNotify
//! callback, which names the connection's cookie), sends messages to it (FilterSendMessage:
//! the MessageNotify callback with the program's buffers) and closes its handle (the
//! DisconnectNotify callback). The filter sends messages to a connected program
//! (FltSendMessage): they are recorded in the trace, and a message that wants a reply gets
//! the reply the program was scripted with (empty by default), as FilterReplyMessage gives it.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::CallConv;
use serde::Serialize;

use super::st;
use crate::kernel::{KResult, Kx};
use crate::ob::handles::Mode;
use crate::ob::Owner;
use crate::se::sd::Sd;
use crate::types::{status, NtStatus, Ptr};

/// FLT_PORT_CONNECT and FLT_PORT_ALL_ACCESS.
pub const FLT_PORT_CONNECT: u32 = 0x1;
pub const FLT_PORT_ALL_ACCESS: u32 = 0x1F_0001;
/// Generic read, write, execute, all for ports.
const PORT_MAPPING: [u32; 4] = [0x2_0001, 0x2_0001, 0x2_0000, FLT_PORT_ALL_ACCESS];
/// Messages kept per connection for the report.
const MAX_MESSAGES: usize = 256;

#[derive(Clone, Debug)]
pub struct ServerPort {
    pub filter: u64,
    pub owner: Owner,
    pub name: String,
    pub cookie: u64,
    pub connect: u64,
    pub disconnect: u64,
    pub message: u64,
    pub max_connections: u32,
    pub connections: u32,
    pub descriptor: Option<Sd>,
}

#[derive(Clone, Debug)]
pub struct ClientPort {
    pub server: u64,
    pub owner: Owner,
    pub port_name: String,
    /// What ConnectNotify stored in ConnectionPortCookie.
    pub cookie: u64,
    /// The program still has its handle.
    pub connected: bool,
    /// What the program answers messages that want a reply.
    pub reply: Vec<u8>,
    pub messages: Vec<Vec<u8>>,
}

#[derive(Default, Debug)]
pub struct Ports {
    pub servers: BTreeMap<u64, ServerPort>,
    pub clients: BTreeMap<u64, ClientPort>,
}

/// A message a filter sent to a program (FltSendMessage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FilterMessage {
    pub port: String,
    /// The message's bytes, in hex.
    pub data: String,
    /// Bytes of the reply the program gave (None: no reply asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_length: Option<u64>,
}

/// NTSTATUS FltBuildDefaultSecurityDescriptor(PSECURITY_DESCRIPTOR *SecurityDescriptor,
/// ACCESS_MASK DesiredAccess): a self-relative descriptor granting DesiredAccess to
/// LocalSystem and the Administrators only.
pub fn FltBuildDefaultSecurityDescriptor(k: &mut Kx, out: Ptr, access: u32) -> KResult<NtStatus> {
    use crate::se::acl::{Ace, Acl};
    use crate::se::sid::well_known as w;
    let sd = Sd {
        control: crate::se::sd::SE_DACL_PRESENT,
        owner: Some(w::admins()),
        group: Some(w::local_system()),
        sacl: None,
        dacl: Some(Acl {
            revision: crate::se::acl::ACL_REVISION,
            aces: vec![Ace::allow(access, w::local_system()), Ace::allow(access, w::admins())],
            size: None,
        }),
    };
    let bytes = sd.relative();
    let Some(p) = crate::ex::pool::allocate_for_caller(
        k,
        crate::ex::pool::NON_PAGED_POOL_NX,
        bytes.len() as u64,
        u32::from_le_bytes(*b"FMsd"),
    )?
    else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    k.mem_mut().write(p, &bytes)?;
    k.mem_mut().write_ptr(out.0, p)?;
    Ok(status::SUCCESS)
}

/// VOID FltFreeSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)
pub fn FltFreeSecurityDescriptor(k: &mut Kx, sd: Ptr) -> KResult<()> {
    crate::ex::pool::ExFreePoolWithTag(k, sd, crate::types::PoolTag(u32::from_le_bytes(*b"FMsd")))
}

/// NTSTATUS FltCreateCommunicationPort(PFLT_FILTER Filter, PFLT_PORT *ServerPort,
/// POBJECT_ATTRIBUTES ObjectAttributes, PVOID ServerPortCookie, PFLT_CONNECT_NOTIFY
/// ConnectNotifyCallback, PFLT_DISCONNECT_NOTIFY DisconnectNotifyCallback,
/// PFLT_MESSAGE_NOTIFY MessageNotifyCallback, LONG MaxConnections)
#[allow(clippy::too_many_arguments)]
pub fn FltCreateCommunicationPort(
    k: &mut Kx,
    filter: Ptr,
    out: Ptr,
    attributes: Ptr,
    cookie: Ptr,
    connect: Ptr,
    disconnect: Ptr,
    message: Ptr,
    max: i32,
) -> KResult<NtStatus> {
    let Some(f) = super::filter(k, filter.0) else { return Ok(status::INVALID_PARAMETER) };
    let owner = f.owner;
    if connect.0 == 0 || disconnect.0 == 0 || max <= 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let attrs = match crate::ob::name::read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(s) => return Ok(s),
    };
    let Some(name) = attrs.name.filter(|n| n.starts_with('\\') && n.len() > 1) else {
        return Ok(status::OBJECT_NAME_INVALID);
    };
    if k.ext().flt.ports.servers.values().any(|p| p.name.eq_ignore_ascii_case(&name)) {
        return Ok(status::OBJECT_NAME_COLLISION);
    }
    let descriptor = if attrs.security_descriptor != 0 {
        match crate::se::sd::read(k, attrs.security_descriptor)? {
            Some(sd) => Some(sd),
            None => return Ok(NtStatus(0xC000_0079)), // STATUS_INVALID_SECURITY_DESCR
        }
    } else {
        None
    };
    let port = super::new_object(k, 0x20)?;
    k.ext_mut().flt.ports.servers.insert(
        port,
        ServerPort {
            filter: filter.0,
            owner,
            name,
            cookie: cookie.0,
            connect: connect.0,
            disconnect: disconnect.0,
            message: message.0,
            max_connections: max as u32,
            connections: 0,
            descriptor,
        },
    );
    k.mem_mut().write_ptr(out.0, port)?;
    Ok(status::SUCCESS)
}

/// VOID FltCloseCommunicationPort(PFLT_PORT ServerPort): no new connections; the existing
/// ones stay.
pub fn FltCloseCommunicationPort(k: &mut Kx, port: Ptr) -> KResult<()> {
    k.ext_mut().flt.ports.servers.remove(&port.0);
    Ok(())
}

/// VOID FltCloseClientPort(PFLT_FILTER Filter, PFLT_PORT *ClientPort): closes the
/// connection and sets *ClientPort to NULL.
pub fn FltCloseClientPort(k: &mut Kx, _filter: Ptr, client: Ptr) -> KResult<()> {
    let port = k.mem().read_ptr(client.0)?;
    if let Some(c) = k.ext_mut().flt.ports.clients.remove(&port) {
        if let Some(s) = k.ext_mut().flt.ports.servers.get_mut(&c.server) {
            s.connections = s.connections.saturating_sub(1);
        }
    }
    k.mem_mut().write_ptr(client.0, 0)?;
    Ok(())
}

/// NTSTATUS FltSendMessage(PFLT_FILTER Filter, PFLT_PORT *ClientPort, PVOID SenderBuffer,
/// ULONG SenderBufferLength, PVOID ReplyBuffer, PULONG ReplyLength, PLARGE_INTEGER Timeout)
#[allow(clippy::too_many_arguments)]
pub fn FltSendMessage(
    k: &mut Kx,
    _filter: Ptr,
    client: Ptr,
    buffer: Ptr,
    length: u32,
    reply: Ptr,
    reply_length: Ptr,
    _timeout: Ptr,
) -> KResult<NtStatus> {
    let port = k.mem().read_ptr(client.0)?;
    let Some(c) = k.ext().flt.ports.clients.get(&port).filter(|c| c.connected).cloned() else {
        return Ok(st::PORT_DISCONNECTED);
    };
    let data = k.mem().read_vec(buffer.0, length as u64)?;
    let mut replied = None;
    if reply.0 != 0 {
        let room = if reply_length.0 != 0 { k.mem().read_u32(reply_length.0)? as usize } else { 0 };
        let n = c.reply.len().min(room);
        k.mem_mut().write(reply.0, &c.reply[..n])?;
        if reply_length.0 != 0 {
            k.mem_mut().write_u32(reply_length.0, n as u32)?;
        }
        replied = Some(n as u64);
    }
    if let Some(c) = k.ext_mut().flt.ports.clients.get_mut(&port) {
        if c.messages.len() < MAX_MESSAGES {
            c.messages.push(data.clone());
        }
    }
    let event = FilterMessage { port: c.port_name, data: crate::events::hex_bytes(&data), reply_length: replied };
    crate::events::push(k, crate::events::SystemEvent::FilterMessage(event));
    Ok(status::SUCCESS)
}

/// The user program connects to the port `name` (FilterConnectCommunicationPort) with
/// `context`; `reply` is what it answers messages with. Returns the client port.
pub fn connect(k: &mut Kx, name: &str, context: &[u8], reply: Vec<u8>) -> KResult<Result<u64, NtStatus>> {
    let Some((&server, s)) = k.ext().flt.ports.servers.iter().find(|(_, p)| p.name.eq_ignore_ascii_case(name)) else {
        return Ok(Err(status::OBJECT_NAME_NOT_FOUND));
    };
    let s = s.clone();
    if let Some(sd) = &s.descriptor {
        let process = k.ext().system.user_process;
        let t = crate::se::process_token(k, process)?;
        let token = crate::se::token(k, t).expect("a token");
        if let Err(e) = crate::se::sd::access_check(&token, sd, FLT_PORT_CONNECT, PORT_MAPPING) {
            return Ok(Err(e));
        }
    }
    if s.connections >= s.max_connections {
        return Ok(Err(st::CONNECTION_COUNT_LIMIT));
    }
    let ps = k.arch().ptr_size();
    let block = crate::ex::pool::kernel_alloc(k, ps + context.len() as u64 + 1, b"FMcc")?;
    k.mem_mut().write(block + ps, context)?;
    let client = super::new_object(k, 0x20)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let ctx = if context.is_empty() { 0 } else { block + ps };
    k.ext_mut().flt.ports.clients.insert(
        client,
        ClientPort {
            server,
            owner: s.owner,
            port_name: s.name.clone(),
            cookie: 0,
            connected: true,
            reply,
            messages: Vec::new(),
        },
    );
    if let Some(p) = k.ext_mut().flt.ports.servers.get_mut(&server) {
        p.connections += 1;
    }
    let r = crate::ke::scheduler::call(k, s.connect, &[client, s.cookie, ctx, context.len() as u64, block], conv)?;
    let cookie = k.mem().read_ptr(block)?;
    crate::ex::pool::free(k, block, None, 0)?;
    let st = super::status(r);
    if !st.is_success() {
        if k.ext_mut().flt.ports.clients.remove(&client).is_some() {
            if let Some(p) = k.ext_mut().flt.ports.servers.get_mut(&server) {
                p.connections = p.connections.saturating_sub(1);
            }
        }
        return Ok(Err(st));
    }
    if let Some(c) = k.ext_mut().flt.ports.clients.get_mut(&client) {
        c.cookie = cookie;
    }
    Ok(Ok(client))
}

/// FilterSendMessage from the program: the MessageNotify callback with the program's
/// buffers (`input`, and `output_len` bytes for the answer). Returns the status and the
/// bytes the callback said it returned.
pub fn send(k: &mut Kx, client: u64, input: &[u8], output_len: u64) -> KResult<(NtStatus, Vec<u8>)> {
    let Some(c) = k.ext().flt.ports.clients.get(&client).filter(|c| c.connected).cloned() else {
        return Ok((status::INVALID_HANDLE, Vec::new()));
    };
    let routine = k.ext().flt.ports.servers.get(&c.server).map(|s| s.message).unwrap_or(0);
    let routine = if routine != 0 {
        routine
    } else {
        // The server port may be closed: its callbacks stay with the connection.
        return Ok((status::INVALID_DEVICE_REQUEST, Vec::new()));
    };
    let inb = if input.is_empty() { 0 } else { crate::io::request::user_buffer(k, input, input.len() as u64)? };
    let outb = if output_len == 0 { 0 } else { crate::io::request::user_buffer(k, &[], output_len)? };
    let space = k.mem().space();
    let returned = crate::ex::pool::kernel_alloc(k, 4, b"FMrl")?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let args = [c.cookie, inb, input.len() as u64, outb, output_len, returned];
    let r = crate::ke::scheduler::call(k, routine, &args, conv)?;
    let n = (k.mem().read_u32(returned)? as u64).min(output_len);
    let mut out = vec![0u8; n as usize];
    if n > 0 {
        k.mem().read(outb, &mut out)?;
    }
    crate::ex::pool::free(k, returned, None, 0)?;
    if inb != 0 {
        crate::io::request::release_user_buffer(k, space, inb, input.len() as u64);
    }
    if outb != 0 {
        crate::io::request::release_user_buffer(k, space, outb, output_len);
    }
    Ok((super::status(r), out))
}

/// The program closes its handle to the connection: the DisconnectNotify callback.
pub fn disconnect(k: &mut Kx, client: u64) -> KResult<NtStatus> {
    let Some(c) = k.ext_mut().flt.ports.clients.get_mut(&client).filter(|c| c.connected) else {
        return Ok(status::INVALID_HANDLE);
    };
    c.connected = false;
    let (server, cookie) = (c.server, c.cookie);
    let routine = k.ext().flt.ports.servers.get(&server).map(|s| s.disconnect).unwrap_or(0);
    if routine != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, routine, &[cookie], conv)?;
    }
    Ok(status::SUCCESS)
}

/// The messages a filter sent on a connection.
pub fn messages(k: &Kx, client: u64) -> Vec<Vec<u8>> {
    k.ext().flt.ports.clients.get(&client).map(|c| c.messages.clone()).unwrap_or_default()
}

/// Ports a driver left open.
pub(crate) fn registrations(k: &Kx, owner: Owner) -> Vec<(&'static str, String)> {
    let p = &k.ext().flt.ports;
    p.servers
        .values()
        .filter(|s| s.owner == owner)
        .map(|s| ("FltCreateCommunicationPort", s.name.clone()))
        .chain(
            p.clients
                .values()
                .filter(|c| c.owner == owner)
                .map(|c| ("FltCloseClientPort (not called)", c.port_name.clone())),
        )
        .collect()
}
