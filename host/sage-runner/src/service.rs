//! The runner as a Windows service (docs/sage50.md, "The runner as a Windows service"):
//! `wharf-sage-runner service install --config FILE` registers it with the service control
//! manager (started automatically with Windows, as LocalSystem), `service uninstall` stops and
//! removes it, and `service run` is what the service control manager starts: it runs the runner
//! until the service is stopped, finishing the current job first, and logs to
//! `<state_dir>/runner.log` (a service has no console).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use windows_service::service::{
    ServiceAccess, ServiceControl, ServiceControlAccept, ServiceErrorControl, ServiceExitCode,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

use wharf_sage_runner::{Config, Runner, shutdown};

/// What `service run` was started with: the service dispatcher calls `service_main` with the
/// service's start parameters only, not the program's arguments.
static STARTED: OnceLock<(String, PathBuf)> = OnceLock::new();

/// Registers the service `name` to run this program with `config` (an absolute path: a service
/// starts in the system folder).
pub fn install(name: &str, config: &Path) -> Result<()> {
    let config = std::path::absolute(config)
        .with_context(|| format!("the configuration file {}", config.display()))?;
    Config::load(&config)?;
    let program = std::env::current_exe().context("the runner's own path")?;
    let manager = ServiceManager::local_computer(
        None::<&str>,
        ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE,
    )
    .context("cannot open the service control manager (run the install as an administrator)")?;
    let info = ServiceInfo {
        name: OsString::from(name),
        display_name: OsString::from(format!("Wharf Sage runner ({name})")),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: program,
        launch_arguments: vec![
            OsString::from("service"),
            OsString::from("run"),
            OsString::from("--name"),
            OsString::from(name),
            OsString::from("--config"),
            config.clone().into_os_string(),
        ],
        dependencies: vec![],
        account_name: None,
        account_password: None,
    };
    let service = manager
        .create_service(&info, ServiceAccess::CHANGE_CONFIG)
        .with_context(|| format!("cannot create the service {name}"))?;
    service
        .set_description(
            "Takes Wharf's Sage jobs from the customer's queue, imports them into Sage 50 and sends the results back",
        )
        .with_context(|| format!("cannot describe the service {name}"))?;
    println!(
        "installed the service {name} (automatic start) with {}; start it with `sc start {name}`",
        config.display()
    );
    Ok(())
}

/// Stops the service `name` if it runs (waiting for its current job), and removes it.
pub fn uninstall(name: &str) -> Result<()> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)
        .context("cannot open the service control manager (run as an administrator)")?;
    let service = manager
        .open_service(
            name,
            ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE,
        )
        .with_context(|| format!("there is no service {name} to uninstall"))?;
    if service.query_status()?.current_state != ServiceState::Stopped {
        service
            .stop()
            .with_context(|| format!("cannot stop the service {name}"))?;
        // The runner finishes its current job first; a job has its own time limit.
        let deadline = Instant::now() + Duration::from_secs(600);
        while service.query_status()?.current_state != ServiceState::Stopped {
            if Instant::now() > deadline {
                bail!("the service {name} did not stop within 10 minutes; uninstall it again");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    service
        .delete()
        .with_context(|| format!("cannot remove the service {name}"))?;
    println!("removed the service {name}");
    Ok(())
}

define_windows_service!(ffi_service_main, service_main);

/// Hands the process to the service control manager, which calls `service_main`.
pub fn run(name: &str, config: &Path) -> Result<()> {
    STARTED
        .set((name.to_owned(), config.to_owned()))
        .map_err(|_| anyhow::anyhow!("the service was started twice"))?;
    service_dispatcher::start(name, ffi_service_main).with_context(|| {
        format!(
            "`service run` is started by the service control manager (install the service with `service install`); to run in a console use --config {}",
            config.display()
        )
    })
}

fn service_main(_arguments: Vec<OsString>) {
    let Some((name, config)) = STARTED.get() else {
        return;
    };
    if let Err(error) = serve(name, config) {
        tracing::error!("the service stopped: {error:#}");
    }
}

/// Runs the runner under the service control manager, reporting its state.
fn serve(name: &str, config_path: &Path) -> Result<()> {
    let handle = service_control_handler::register(name, |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            shutdown::request();
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })?;
    let status = |state: ServiceState, exit: u32| ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Running {
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        },
        exit_code: ServiceExitCode::Win32(exit),
        checkpoint: 0,
        wait_hint: Duration::from_secs(if state == ServiceState::StopPending {
            600
        } else {
            0
        }),
        process_id: None,
    };
    let outcome = Config::load(config_path)
        .map_err(anyhow::Error::from)
        .and_then(|config| {
            log_to(&config.state_dir)?;
            handle.set_service_status(status(ServiceState::Running, 0))?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("sage-runner")
                .enable_all()
                .build()?;
            let outcome = runtime.block_on(async move {
                let runner = Runner::start(config).await?;
                runner.run(false).await
            });
            runtime.shutdown_background();
            outcome.map_err(anyhow::Error::from)
        });
    handle.set_service_status(status(ServiceState::StopPending, 0))?;
    // A non-zero exit code makes Windows apply the service's recovery actions.
    let exit = u32::from(outcome.is_err());
    handle.set_service_status(status(ServiceState::Stopped, exit))?;
    outcome
}

/// The service's log: `<state_dir>/runner.log`, appended to.
fn log_to(state_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(state_dir)
        .with_context(|| format!("cannot create the state folder {}", state_dir.display()))?;
    let path = state_dir.join("runner.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open the log {}", path.display()))?;
    crate::init_logging(std::sync::Mutex::new(file), true);
    Ok(())
}
