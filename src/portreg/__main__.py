from portreg.cli import main

main()
