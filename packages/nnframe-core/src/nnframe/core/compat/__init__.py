"""Every use of a private attribute of Lightning, torch, torchvision or timm, one module per library.

Each function here reaches into one private attribute, says in one line why no public API does
the job, links the upstream issue (or says there is none yet), and has a test in
``packages/nnframe-core/tests/compat/`` that fails loudly when the private behaviour changes.
Nothing outside this package touches those libraries' private attributes
(``tests/compat/test_private_access.py`` counts them). Import the submodule you need
(``from nnframe.core.compat.lightning import ...``): this package itself imports none of them.
"""
