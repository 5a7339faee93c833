//! Pseudo-terminals for the modem: `serve --modem-pty <iccid>` opens one
//! per card with `openpty(3)`, puts it in raw mode and keeps the slave side
//! open so the modem survives clients opening and closing the port. The
//! master side is read and written without blocking through tokio's
//! `AsyncFd`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::openpty;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The master side of an open pseudo-terminal.
pub struct Pty {
    master: AsyncFd<File>,
    _slave: OwnedFd,
    /// `/dev/pts/N`, what serial-port code opens.
    pub path: String,
}

fn to_io(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

impl Pty {
    /// Opens a raw pseudo-terminal pair.
    pub fn open() -> io::Result<Pty> {
        let pair = openpty(None, None).map_err(to_io)?;
        let mut t = tcgetattr(&pair.slave).map_err(to_io)?;
        cfmakeraw(&mut t);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &t).map_err(to_io)?;
        let path = nix::unistd::ttyname(&pair.slave)
            .map_err(to_io)?
            .display()
            .to_string();
        let flags = fcntl(pair.master.as_raw_fd(), FcntlArg::F_GETFL).map_err(to_io)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(pair.master.as_raw_fd(), FcntlArg::F_SETFL(flags)).map_err(to_io)?;
        // SAFETY: the `File` owns the descriptor, which stays open and the
        // same for as long as the `AsyncFd` holds the `File`.
        let master = unsafe { AsyncFd::register(File::from(pair.master)) }
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Pty {
            master,
            _slave: pair.slave,
            path,
        })
    }
}

impl AsyncRead for Pty {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = match self.master.poll_read_ready(cx) {
                Poll::Ready(g) => g?,
                Poll::Pending => return Poll::Pending,
            };
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|f| f.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // EIO: no slave open at the moment (cannot happen while we
                // hold it, but never end the modem for it).
                Ok(Err(e)) if e.raw_os_error() == Some(nix::libc::EIO) => return Poll::Pending,
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for Pty {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = match self.master.poll_write_ready(cx) {
                Poll::Ready(g) => g?,
                Poll::Pending => return Poll::Pending,
            };
            match guard.try_io(|f| f.get_ref().write(data)) {
                Ok(r) => return Poll::Ready(r),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
