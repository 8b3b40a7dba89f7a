"""pytest plugin (``-p tests.nbval_ipc``, set in the Makefile): nbval starts each notebook's kernel over
IPC in a private directory, as the report builder does, instead of over TCP."""


def pytest_configure(config):
    if config.pluginmanager.hasplugin("nbval"):
        from hmip.build.kernel import use_ipc_for_nbval

        use_ipc_for_nbval()
