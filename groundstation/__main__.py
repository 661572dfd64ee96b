from groundstation.cli.main import main

main()
